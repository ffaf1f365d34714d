import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { DAY_MS } from '../domain/expiry';
import {
  generateKeys,
  issueCertificate,
  privateKeyPem,
  type IssuedCertificate,
  type IssueOptions,
} from '../x509/factory';

/**
 * A realistic estate for `npm start`: a private PKI and a few dozen certificates spread over team
 * directories, in every state an operator meets: expired, about to expire, healthy, weak, wildcard,
 * short-lived, bundled with chains or keys, in PEM, DER and PKCS#7, one key copied between two services, and
 * one file that is not a certificate. Every other certificate has a key of its own.
 * Dates are relative to `now`, so the estate ages like a real one between runs.
 */
export async function writeDemoEstate(root: string, now: Date): Promise<number> {
  const days = (count: number) => new Date(now.getTime() + count * DAY_MS);
  const files = new Map<string, string | Uint8Array>();
  let certificates = 0;

  const root_ca = await issueCertificate({
    subject: 'C=US, O=Example Corp, CN=Example Corp Root CA',
    ca: true,
    key: { algorithm: 'EC', curve: 'P-384' },
    notBefore: days(-900),
    notAfter: days(2750),
  });
  const issuing = await issueCertificate({
    subject: 'C=US, O=Example Corp, CN=Example Corp Issuing CA 1',
    ca: true,
    issuer: root_ca,
    notBefore: days(-400),
    notAfter: days(40),
  });
  const leaf = async (
    name: string,
    lifetime: number,
    daysLeft: number,
    extra: Partial<IssueOptions> = {},
  ): Promise<IssuedCertificate> => {
    certificates++;
    return issueCertificate({
      subject: `O=Example Corp, CN=${name}`,
      dns: [name],
      issuer: issuing, // a key of its own (P-256) unless `extra` hands one
      notBefore: days(daysLeft - lifetime),
      // A validity period counts both ends (RFC 5280): N days means N days less a second.
      notAfter: new Date(days(daysLeft).getTime() - 1000),
      ...extra,
    });
  };

  files.set('pki/root-ca.pem', root_ca.pem);
  files.set('pki/issuing-ca-1.pem', issuing.pem);
  certificates += 2;

  const web: Array<[string, number, number]> = [
    ['www.example.com', 398, 200],
    ['shop.example.com', 398, 25],
    ['blog.example.com', 365, 10],
    ['status.example.com', 365, 3],
    ['legacy.example.com', 365, -5],
    ['docs.example.com', 200, 150],
    ['cdn.example.com', 398, 61],
    ['help.example.com', 398, 59],
  ];
  for (const [name, lifetime, left] of web) files.set(`web/${name}.pem`, (await leaf(name, lifetime, left)).pem);
  const wildcard = await leaf('*.example.com', 398, 45, { dns: ['*.example.com', 'example.com'] });
  files.set('web/wildcard.example.com.crt', wildcard.pem);
  const bundled = await leaf('api.example.com', 90, 12);
  files.set('web/api.example.com-fullchain.pem', bundled.pem + issuing.pem);

  // Short-lived certificates (the CA/Browser Forum's 47-day future): 30 days left is routine, 10 is not.
  files.set('platform/ingress-a.internal.pem', (await leaf('ingress-a.internal', 47, 30)).pem);
  files.set('platform/ingress-b.internal.pem', (await leaf('ingress-b.internal', 47, 10)).pem);
  files.set('platform/mesh.internal.der', (await leaf('mesh.internal', 47, 40)).der);
  const grafana = await leaf('grafana.internal', 398, 120);
  files.set(
    'platform/grafana.internal.pem',
    `# deployed by hand, do not delete\r\n${grafana.pem.replace(/\n/g, '\r\n')}`,
  );
  const selfSigned = await issueCertificate({
    subject: 'CN=jenkins.internal',
    dns: ['jenkins.internal'],
    key: { algorithm: 'RSA', bits: 2048 },
    notBefore: days(-700),
    notAfter: days(30),
  });
  certificates++;
  files.set('platform/jenkins.internal-selfsigned.pem', selfSigned.pem);
  files.set(
    'platform/vpn-client.pem',
    (await leaf('vpn-client-alice', 365, 100, { extendedKeyUsage: ['clientAuth'], dns: [] })).pem,
  );

  const weak = await issueCertificate({
    subject: 'O=Example Corp, CN=payments-legacy.example.com',
    dns: ['payments-legacy.example.com'],
    key: { algorithm: 'RSA', bits: 1024, hash: 'SHA-1' },
    notBefore: days(-300),
    notAfter: days(65),
  });
  certificates++;
  files.set('payments/payments-legacy-weak.pem', weak.pem);
  // The one deliberate key reuse: a key copied from one service to another, so key-reuse has one finding pair.
  const copiedKey = await generateKeys();
  files.set('payments/checkout.example.com.pem', (await leaf('checkout.example.com', 398, 7, { keys: copiedKey })).pem);
  files.set('payments/pay-api.example.com.pem', (await leaf('pay-api.example.com', 398, 1, { keys: copiedKey })).pem);
  // An operator exported the key with the certificate: the key must be dropped, never stored.
  const keyed = await leaf('hsm-proxy.example.com', 398, 300, { key: { algorithm: 'EC', curve: 'P-256' } });
  files.set('payments/hsm-proxy-with-key.pem', keyed.pem + (await privateKeyPem(keyed.keys)));
  const p7 = await leaf('gateway.example.com', 398, 90);
  files.set('payments/gateway-chain.p7b', await pkcs7Pem([p7, issuing]));

  const signing = await leaf('Example Corp Release Signing', 1095, 500, { extendedKeyUsage: ['codeSigning'], dns: [] });
  files.set('security/release-signing.cer', signing.pem);
  const mail = await leaf('alice@example.com', 730, 18, {
    extendedKeyUsage: ['emailProtection'],
    dns: [],
    email: ['alice@example.com'],
  });
  files.set('security/smime-alice.pem', mail.pem);
  const ed = await leaf('edge.example.com', 90, 55, { key: { algorithm: 'Ed25519' } });
  files.set('security/edge-ed25519.pem', ed.pem);
  files.set(
    'security/broken-export.pem',
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
  );

  for (let index = 1; index <= 8; index++) {
    const name = `svc-${String(index).padStart(2, '0')}.apps.example.com`;
    files.set(`apps/${name}.pem`, (await leaf(name, 90, 5 + index * 9)).pem);
  }

  for (const [path, content] of files) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return certificates;
}

async function pkcs7Pem(certificates: IssuedCertificate[]): Promise<string> {
  const chain = new x509.X509Certificates(certificates.map((issued) => issued.certificate));
  return chain.export('pem');
}
