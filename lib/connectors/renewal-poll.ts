/**
 * The bounded wait of a renewal: ask again after a delay that doubles up to a cap, until the provider says done
 * or the time runs out. Renewals complete in seconds to minutes (ACM's RenewCertificate, a Private CA's issue, a
 * Key Vault order), so a renewer waits at most `timeoutMs` and then reports the renewal as still pending.
 */
export interface PollSettings {
  /** @default 2000 */
  firstDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** @default 600000 (10 minutes, under the renewal's lease, RENEWAL_LEASE_MS) */
  timeoutMs?: number;
}

/** What one look found: done with a value, or not yet. */
export type PollResult<T> = { done: true; value: T } | { done: false };

/** Looks until `check` is done; undefined when the time ran out first. */
export async function pollUntil<T>(
  check: () => Promise<PollResult<T>>,
  settings: PollSettings = {},
  signal?: AbortSignal,
): Promise<T | undefined> {
  const { firstDelayMs = 2000, maxDelayMs = 30_000, timeoutMs = 600_000 } = settings;
  const deadline = Date.now() + timeoutMs;
  for (let delay = firstDelayMs; ; delay = Math.min(delay * 2, maxDelayMs)) {
    const result = await check();
    if (result.done) return result.value;
    if (Date.now() + delay > deadline || signal?.aborted) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
