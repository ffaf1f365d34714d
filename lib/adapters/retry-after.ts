/**
 * How long an HTTP `Retry-After` header asks to wait, in milliseconds: seconds or an HTTP date (RFC 9110);
 * undefined when it is missing or unreadable, so the caller falls back on its own backoff.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
