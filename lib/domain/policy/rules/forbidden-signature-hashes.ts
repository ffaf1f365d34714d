import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Digests as records name them ('MD5', 'SHA-1', …). @default MD2, MD4, MD5, SHA-1 */
  hashes: z.array(z.string().check(z.minLength(1))),
  /**
   * Skip self-signed certificates: nobody verifies the signature of a trust anchor, so a SHA-1 root is harmless.
   * @default false (every certificate is judged, as the CA/B Forum's linters do)
   */
  ignoreSelfSigned: z.boolean(),
});
export type ForbiddenSignatureHashesParams = z.infer<typeof Params>;

/** Signatures over a broken digest (MD5, SHA-1: chosen-prefix collisions are practical). */
export const forbiddenSignatureHashes: Rule<ForbiddenSignatureHashesParams> = (
  { certificate },
  { hashes, ignoreSelfSigned },
) => {
  if (ignoreSelfSigned && certificate.selfSigned) return notApplicable('self-signed, and the policy ignores those');
  const hash = certificate.signatureHash;
  if (hash === null) return notApplicable(`signature algorithm ${certificate.signatureAlgorithm} names no digest`);
  return hashes.includes(hash)
    ? violation(`signed with ${certificate.signatureAlgorithm} (${hash}); policy forbids ${hashes.join(', ')}`, {
        signatureAlgorithm: certificate.signatureAlgorithm,
        signatureHash: hash,
        forbidden: hashes,
      })
    : compliant;
};

export const forbiddenSignatureHashesRule = defineRule({
  id: 'forbidden-signature-hashes',
  title: 'No signatures with MD5 or SHA-1',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { hashes: ['MD2', 'MD4', 'MD5', 'SHA-1'], ignoreSelfSigned: false },
  evaluate: forbiddenSignatureHashes,
});
