import * as z from 'zod/mini';

// zod's mini API, as in functions/: the evaluation reads this schema at every cold start (see expiry-config.ts).

/** OCSP/CRL revocation checks (docs/architecture.md, "Revocation status"): the CLI's and the deployed evaluation's. */
export const RevocationConfig = z.strictObject({
  /**
   * Check the revocation status of new and changed certificates (after a CLI sync or scan, and by the deployed
   * evaluation) and of those due on evaluation. @default true
   */
  enabled: z._default(z.boolean(), true),
  /** Each OCSP, CRL or caIssuers exchange is abandoned after this long. @default 5000 */
  timeoutMs: z._default(z.int().check(z.minimum(100), z.maximum(60_000)), 5000),
  /** Requests in flight to one responder host at once (and sockets open to it). @default 4 */
  perHostConcurrency: z._default(z.int().check(z.minimum(1), z.maximum(64)), 4),
});
export type RevocationConfig = z.infer<typeof RevocationConfig>;
