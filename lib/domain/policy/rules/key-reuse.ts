import * as z from 'zod/mini';
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

/** Sharers named in a violation's details. */
const MAX_SHOWN = 10;

/**
 * The same public key in certificates for unrelated names: one compromise exposes all of them, and revoking one
 * does not protect the others. Needs the cross-certificate view: `context.sameKeyElsewhere`, the other
 * certificates with the subject's `publicKeySha256`.
 */
export const keyReuse: Rule<KeyReuseParams> = (
  { certificate },
  { allowSameNames },
  { sameKeyElsewhere, sameKeySampled },
) => {
  if (sameKeyElsewhere === undefined) return notApplicable('no inventory-wide view of certificates by public key');
  const others = sameKeyElsewhere.filter((other) => other.fingerprintSha256 !== certificate.fingerprintSha256);
  if (others.length === 0) return compliant;
  const names = new Set(certificateNames(certificate));
  const related = (other: KeySharingCertificate) =>
    other.subject === certificate.subject || certificateNames(other).some((name) => names.has(name));
  const unrelated = allowSameNames ? others.filter((other) => !related(other)) : others;
  if (unrelated.length === 0) return compliant;
  const shown = unrelated.slice(0, 3).map((other) => certificateNames(other).join(' ') || other.subject);
  // With a sample of the sharers, the unrelated ones found are a lower bound of those there are.
  const count = sameKeySampled
    ? `at least ${unrelated.length} of the more than ${others.length} certificates sharing it,`
    : `${unrelated.length} certificate${unrelated.length > 1 ? 's' : ''}`;
  return violation(
    `public key ${certificate.publicKeySha256.slice(0, 16)}… also in ${count} for ` +
      `${allowSameNames ? 'unrelated ' : ''}names (${shown.join('; ')}${unrelated.length > 3 ? '; …' : ''})`,
    {
      publicKeySha256: certificate.publicKeySha256,
      sharedWithCount: sameKeySampled ? `more than ${others.length}` : others.length,
      // A bounded sample keeps the violation record small however many share the key; the whole list is a query.
      sharedWith: unrelated
        .slice(0, MAX_SHOWN)
        .map((other) => ({ fingerprint: other.fingerprintSha256, names: certificateNames(other) })),
      everyPlace: `certwarden list --public-key ${certificate.publicKeySha256}`,
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
