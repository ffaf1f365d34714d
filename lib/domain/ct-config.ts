import * as z from 'zod/mini';
import { SCHEDULE_EXPRESSION, SOURCE_NAME } from './config-formats';

// zod's mini API, as in functions/: the CT monitor reads this section at every cold start, and the whole
// configuration's classic schemas cost it ~100 KB of bundle and their construction (docs/benchmarks.md, "Cold start").

const sha256Hex = z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'expected a SHA-256 in hex (64 characters)'));
const domainName = z
  .string()
  .check(
    z.regex(/^(?!-)[A-Za-z0-9-]{1,63}(\.(?!-)[A-Za-z0-9-]{1,63})+\.?$/, 'expected a domain name such as example.com'),
  );

/** One RFC 6962 Certificate Transparency log, read with get-sth and get-entries. */
export const CtLogConfig = z.strictObject({
  /** Names the log in findings and messages. */
  name: z.string().check(z.regex(SOURCE_NAME.pattern, SOURCE_NAME.message)),
  /** The log's base URL, to which `ct/v1/get-sth` is appended (`https://ct.googleapis.com/logs/us1/argon2026h1/`). */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * Entries asked for per get-entries. A log answers with at most its own limit (often 256 or 1,000), and the
   * monitor moves on by what it got. @default 256
   */
  batchSize: z._default(z.int().check(z.minimum(1), z.maximum(10_000)), 256),
  /**
   * The log's public key, base64 DER SubjectPublicKeyInfo (the `key` of Chrome's and Apple's log lists): every
   * signed tree head must verify against it, or the log is not read. Absent: tree heads are not verified.
   */
  publicKey: z.optional(z.base64()),
});
export type CtLogConfig = z.infer<typeof CtLogConfig>;

/** Certificate Transparency monitoring (docs/architecture.md, "Certificate Transparency"). */
export const CtConfig = z.strictObject({
  /** Certificates for these domains and every name under them are checked against the inventory. */
  domains: z.array(domainName).check(z.minLength(1)),
  logs: z.array(CtLogConfig).check(z.minLength(1)),
  /** Certificates never reported: by their issuer's DN (RFC 4514), or by a SPKI SHA-256 (theirs or their issuer's). */
  allowlist: z.prefault(
    z.strictObject({
      issuers: z._default(z.array(z.string().check(z.minLength(3))), []),
      publicKeys: z._default(z.array(sha256Hex), []),
    }),
    {},
  ),
  /** Where a log never polled is read from: `latest`, only what is logged from then on; `first`, all of it. @default 'latest' */
  startAt: z._default(z.enum(['latest', 'first']), 'latest'),
  /** Entries read from one log per poll at most; the rest wait for the next poll. @default 10000 */
  maxEntriesPerPoll: z._default(z.int().check(z.minimum(1), z.maximum(1_000_000)), 10_000),
  /** Each request to a log is abandoned after this long. @default 10000 */
  timeoutMs: z._default(z.int().check(z.minimum(100), z.maximum(120_000)), 10_000),
  /** How often the deployed stack polls the logs. @default 'rate(15 minutes)' */
  schedule: z._default(
    z.string().check(z.regex(SCHEDULE_EXPRESSION.pattern, SCHEDULE_EXPRESSION.message)),
    'rate(15 minutes)',
  ),
});
export type CtConfig = z.infer<typeof CtConfig>;
