import * as z from 'zod';
import { certificateNames } from '../names';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type KeySharingCertificate, type Rule } from '../types';

const Params = z.strictObject({
  /**
   * A key reused by certificates for overlapping names (or the same subject) is a renewal that kept its key, as
   * `certbot --reuse-key` does; false: any reuse is a violation. @default true
   */
  allowSameNames: z.boolean(),
});
export type KeyReuseParams = z.infer<typeof Params>;

/**
 * The same public key in certificates for unrelated names: one compromise exposes all of them, and revoking one
 * does not protect the others. Needs the cross-certificate view: `context.sameKeyElsewhere`, the other
 * certificates with the subject's `publicKeySha256`.
 */
export const keyReuse: Rule<KeyReuseParams> = ({ certificate }, { allowSameNames }, { sameKeyElsewhere }) => {
  if (sameKeyElsewhere === undefined) return notApplicable('no inventory-wide view of certificates by public key');
  const others = sameKeyElsewhere.filter((other) => other.fingerprintSha256 !== certificate.fingerprintSha256);
  if (others.length === 0) return compliant;
  const names = new Set(certificateNames(certificate));
  const related = (other: KeySharingCertificate) =>
    other.subject === certificate.subject || certificateNames(other).some((name) => names.has(name));
  const unrelated = allowSameNames ? others.filter((other) => !related(other)) : others;
  if (unrelated.length === 0) return compliant;
  const shown = unrelated.slice(0, 3).map((other) => certificateNames(other).join(' ') || other.subject);
  return violation(
    `public key ${certificate.publicKeySha256.slice(0, 16)}… also in ${unrelated.length} certificate${unrelated.length > 1 ? 's' : ''} for ` +
      `${allowSameNames ? 'unrelated ' : ''}names (${shown.join('; ')}${unrelated.length > 3 ? '; …' : ''})`,
    {
      publicKeySha256: certificate.publicKeySha256,
      sharedWith: unrelated.map((other) => ({ fingerprint: other.fingerprintSha256, names: certificateNames(other) })),
    },
  );
};

export const keyReuseRule = defineRule({
  id: 'key-reuse',
  title: 'No public key shared with certificates for unrelated names',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { allowSameNames: true },
  evaluate: keyReuse,
});
