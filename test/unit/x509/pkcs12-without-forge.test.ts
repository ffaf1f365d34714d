import { CertificateParseError } from '../../../lib/domain/errors';
import { issueCertificate, privateKeyPem } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { opensslWithFiles } from '../../support/openssl';

// What a deployed function's bundle is like: node-forge left out (infra/function-bundling.ts LEFT_OUT_OF_BUNDLES).
jest.mock('node-forge', () => {
  throw new Error("Cannot find module 'node-forge'\nRequire stack: …");
});

describe('a PKCS#12 where node-forge is not installed', () => {
  it('is a parse error that says why, not a crash', async () => {
    const notBefore = new Date();
    const leaf = await issueCertificate({
      subject: 'CN=p12.example.com',
      dns: ['p12.example.com'],
      notBefore,
      notAfter: new Date(notBefore.getTime() + 86_400_000),
    });
    const files = { 'leaf.pem': leaf.pem, 'key.pem': await privateKeyPem(leaf.keys) };
    const p12 = opensslWithFiles(files, (path) => [
      'pkcs12',
      '-export',
      '-in',
      path['leaf.pem'],
      '-inkey',
      path['key.pem'],
      '-passout',
      'pass:',
    ]);

    const read = () => parseCertificates(p12, 'bundle.p12');

    expect(read).toThrow(CertificateParseError);
    expect(read).toThrow(
      "bundle.p12: PKCS#12, unreadable (MAC: PKCS#12 cannot be opened here (node-forge is not installed: Cannot find module 'node-forge'))",
    );
  });
});
