import type { CertificateRecord } from '../../../../lib/domain/certificate';
import type { PolicyLocation, PolicySubject, RuleContext } from '../../../../lib/domain/policy';

/** The fixed instant of every rule test. */
export const NOW = new Date('2026-06-01T00:00:00Z');
export const DAY_MS = 86_400_000;

let serial = 0;

/** A plausible TLS server leaf from a public CA, EC P-256, valid 90 days from 30 days ago; override what a test needs. */
export function record(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  serial++;
  const hex = serial.toString(16).padStart(64, '0');
  return {
    fingerprintSha256: hex,
    serialNumber: `7f${hex.slice(-30)}`, // 127 bits, as a public CA's random serials have
    subject: 'CN=api.example.com',
    issuer: "CN=R11,O=Let's Encrypt,C=US",
    subjectCommonName: 'api.example.com',
    sans: { dns: ['api.example.com'], ip: [], email: [], uri: [] },
    notBefore: new Date(NOW.getTime() - 30 * DAY_MS).toISOString(),
    notAfter: new Date(NOW.getTime() + 60 * DAY_MS).toISOString(),
    keyAlgorithm: 'EC',
    keySize: 256,
    keyCurve: 'P-256',
    signatureAlgorithm: 'ecdsa-with-SHA256',
    signatureHash: 'SHA-256',
    isCA: false,
    selfSigned: false,
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['serverAuth'],
    publicKeySha256: `ab${hex.slice(2)}`,
    kind: 'tls-server',
    ...overrides,
  };
}

export const rsa = (bits: number | null, overrides: Partial<CertificateRecord> = {}): CertificateRecord =>
  record({
    keyAlgorithm: 'RSA',
    keySize: bits,
    keyCurve: null,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    ...overrides,
  });

export const subject = (certificate: CertificateRecord, location?: PolicyLocation): PolicySubject => ({
  certificate,
  location,
});

/** The context the engine would give a rule: override issuer type, uses, the cross-certificate view. */
export const context = (overrides: Partial<RuleContext> = {}): RuleContext => ({
  now: NOW,
  issuerType: 'public',
  uses: [],
  inUse: false,
  ...overrides,
});
