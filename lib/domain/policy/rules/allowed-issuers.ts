import * as z from 'zod/mini';
import { foldName } from '../issuer';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Issuer distinguished names as certwarden writes them (`CN=R11,O=Let's Encrypt,C=US`); case and spaces ignored. */
  subjects: z.array(z.string().check(z.minLength(1))),
  /** SHA-256 of allowed issuing CAs' SubjectPublicKeyInfo, hex; needs the chain (`PolicySubject.issuerSpkiSha256`). */
  spkiSha256: z.array(z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (SHA-256 of the SPKI)'))),
});
export type AllowedIssuersParams = z.infer<typeof Params>;

const foldedLists = new WeakMap<readonly string[], Set<string>>();
const folded = (names: readonly string[], fold: (name: string) => string): Set<string> => {
  let set = foldedLists.get(names);
  if (!set) foldedLists.set(names, (set = new Set(names.map(fold))));
  return set;
};

/**
 * Only certificates from the CAs the policy names, by issuer name or by the issuing key (the key cannot be
 * spoofed by a CA that copies a name). A self-signed certificate's issuer key is its own.
 */
export const allowedIssuers: Rule<AllowedIssuersParams> = (subject, { subjects, spkiSha256 }) => {
  const { certificate } = subject;
  const issuerKey = subject.issuerSpkiSha256 ?? (certificate.selfSigned ? certificate.publicKeySha256 : undefined);
  if (issuerKey && folded(spkiSha256, (hash) => hash.toLowerCase()).has(issuerKey.toLowerCase())) return compliant;
  if (folded(subjects, foldName).has(foldName(certificate.issuer))) return compliant;
  return violation(
    `issued by "${certificate.issuer}", which is not an allowed issuer` +
      (subjects.length + spkiSha256.length === 0 ? ' (the policy allows none)' : ''),
    {
      issuer: certificate.issuer,
      issuerSpkiSha256: issuerKey ?? null,
      allowedSubjects: subjects,
      allowedSpkiSha256: spkiSha256,
    },
  );
};

export const allowedIssuersRule = defineRule({
  id: 'allowed-issuers',
  title: 'Issued by an allowed CA (by name or SPKI hash)',
  defaultSeverity: 'high',
  enabledByDefault: false,
  informational: false,
  params: Params,
  defaults: { subjects: [], spkiSha256: [] },
  evaluate: allowedIssuers,
});
