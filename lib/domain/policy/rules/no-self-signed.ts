import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Self-signed CA certificates (roots, shipped with the chain) are fine. @default true */
  allowCA: z.boolean(),
});
export type NoSelfSignedParams = z.infer<typeof Params>;

/** No self-signed end-entity certificates (typically switched on by a scope, e.g. `env=prod`). */
export const noSelfSigned: Rule<NoSelfSignedParams> = ({ certificate }, { allowCA }) => {
  if (!certificate.selfSigned || (allowCA && certificate.isCA)) return compliant;
  return violation(`self-signed ${certificate.isCA ? 'CA ' : ''}certificate "${certificate.subject}"`, {
    subject: certificate.subject,
    isCA: certificate.isCA,
  });
};

export const noSelfSignedRule = defineRule({
  id: 'no-self-signed',
  title: 'No self-signed certificates',
  defaultSeverity: 'medium',
  enabledByDefault: false,
  informational: false,
  params: Params,
  defaults: { allowCA: true },
  evaluate: noSelfSigned,
});
