import type { CertificateKind, SubjectAltNames } from '../../../lib/domain/certificate';
import { certificateKind } from '../../../lib/x509/kind';

const none: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
const host: SubjectAltNames = { ...none, dns: ['api.example.com'] };
const address: SubjectAltNames = { ...none, ip: ['192.0.2.1'] };
const mailbox: SubjectAltNames = { ...none, email: ['a@example.com'] };

describe('certificateKind', () => {
  it.each<[string, boolean, string[], SubjectAltNames, CertificateKind]>([
    ['a CA, whatever its purposes', true, ['serverAuth', 'codeSigning'], host, 'ca'],
    ['server authentication', false, ['clientAuth', 'serverAuth'], none, 'tls-server'],
    ['code signing', false, ['codeSigning', 'emailProtection'], none, 'code-signing'],
    ['e-mail protection', false, ['emailProtection', 'clientAuth'], mailbox, 'smime'],
    ['client authentication', false, ['clientAuth'], host, 'tls-client'],
    ['no extended key usage but a DNS name', false, [], host, 'tls-server'],
    ['anyExtendedKeyUsage and an IP address', false, ['anyExtendedKeyUsage'], address, 'tls-server'],
    ['no extended key usage and no host', false, [], mailbox, 'other'],
    ['an unrelated purpose', false, ['timeStamping'], host, 'other'],
  ])('classifies %s', (_, isCA, extendedKeyUsage, sans, kind) => {
    expect(certificateKind(isCA, extendedKeyUsage, sans)).toBe(kind);
  });
});
