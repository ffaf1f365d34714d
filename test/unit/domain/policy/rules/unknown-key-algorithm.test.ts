import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { forbiddenKeyAlgorithms } from '../../../../../lib/domain/policy/rules/forbidden-key-algorithms';
import {
  unknownKeyAlgorithm,
  unknownKeyAlgorithmRule,
} from '../../../../../lib/domain/policy/rules/unknown-key-algorithm';
import { evaluatePolicy, RECOMMENDED_POLICY } from '../../../../../lib/domain/policy';
import { normalize } from '../../../../../lib/x509/parse';
import { craftLeaf, craftRecord } from '../../../../support/crafted-certificates';
import { context, NOW, subject } from '../fixtures';

const params = unknownKeyAlgorithmRule.defaults;

/**
 * A certificate for a GOST R 34.10-2012 (256-bit) key: its SubjectPublicKeyInfo written out (algorithm OID, parameter
 * set A, Streebog-256; a 64-octet point), signed by the test CA. No crypto library here knows the algorithm.
 */
async function gostCertificate(): Promise<Uint8Array> {
  const oid = (hex: string) => `06${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`;
  const seq = (hex: string) => `30${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`;
  const algorithm = seq(oid('2a85030701010101') + seq(oid('2a8503070102010101') + oid('2a85030701010202')));
  const point = `0440${'5a'.repeat(64)}`;
  const spki = seq(algorithm + `03${(point.length / 2 + 1).toString(16)}00${point}`);
  const publicKey = new x509.PublicKey(Buffer.from(spki, 'hex'));
  return (await craftLeaf({ keys: { publicKey } as unknown as CryptoKeyPair })).der;
}

describe('unknown-key-algorithm', () => {
  describe('Compliant', () => {
    it.each([
      ['EC', {}],
      ['RSA', { key: { algorithm: 'RSA' as const, bits: 2048 } }],
      ['Ed25519', { key: { algorithm: 'Ed25519' as const } }],
    ])('a %s key', async (_name, options) => {
      expect(unknownKeyAlgorithm(subject(await craftRecord(options)), params, context())).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it('a GOST R 34.10-2012 key', async () => {
      const record = normalize(await gostCertificate());
      expect(record.keyAlgorithm).toBe('1.2.643.7.1.1.1.1');
      const result = unknownKeyAlgorithm(subject(record), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keyAlgorithm: '1.2.643.7.1.1.1.1' } });
    });

    it('any algorithm a scope leaves out of `known`', async () => {
      const rsa = await craftRecord({ key: { algorithm: 'RSA', bits: 2048 } });
      expect(unknownKeyAlgorithm(subject(rsa), { known: ['EC'] }, context()).outcome).toBe('violation');
    });
  });

  it('under the recommended policy, a GOST key fails, and no key rule calls it compliant', async () => {
    const record = normalize(await gostCertificate());
    const result = evaluatePolicy(RECOMMENDED_POLICY, { certificate: record, issuerType: 'private' }, { now: NOW });
    expect(result.violations.map((violation) => violation.ruleId)).toContain('unknown-key-algorithm');
    const keyRules = ['rsa-min-key-size', 'allowed-ec-curves', 'forbidden-key-algorithms', 'weak-key'];
    expect(
      result.applied.filter((applied) => keyRules.includes(applied.ruleId)).map((applied) => applied.result.outcome),
    ).toEqual(['not-applicable', 'not-applicable', 'not-applicable', 'not-applicable']);
    expect(forbiddenKeyAlgorithms(subject(record), { algorithms: ['DSA'] }, context()).outcome).toBe('not-applicable');
  });
});
