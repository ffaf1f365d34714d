import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import type { WeakKey } from '../../certificate';
import { compliant, notApplicable, recordPredates, violation, type Rule } from '../types';

const Params = z.strictObject({});

/** What each weakness means for the key's owner. */
const WEAKNESS: Record<WeakKey, string> = {
  roca:
    'RSA modulus with the ROCA fingerprint (CVE-2017-15361, Infineon RSALib): its private key can be computed; ' +
    'generate a new key off the affected chip and revoke this certificate',
};
export type WeakKeyParams = z.infer<typeof Params>;

/**
 * Keys whose private half can be computed from the public one. Today: RSA moduli with the ROCA fingerprint
 * (CVE-2017-15361; Infineon RSALib in smart cards, TPMs and HSMs of 2012–2017), found when the certificate is read.
 * Replacing the certificate is not enough: the key must be generated again, off the affected chip.
 */
export const weakKey: Rule<WeakKeyParams> = ({ certificate }) => {
  if (certificate.keyAlgorithm !== 'RSA') return notApplicable(`no weak-key test for ${certificate.keyAlgorithm} keys`);
  if (certificate.weakKey === undefined) return recordPredates('weak keys');
  if (certificate.weakKey === null) return compliant;
  return violation(WEAKNESS[certificate.weakKey], { weakKey: certificate.weakKey, keySize: certificate.keySize });
};

export const weakKeyRule = defineRule({
  id: 'weak-key',
  title: 'No key with a known weakness (ROCA)',
  defaultSeverity: 'critical',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: weakKey,
});
