import { isPermanentStatus } from '../domain/notifications/notification-error';

/**
 * Why an AWS SDK call was refused for good, or undefined when another attempt may succeed: the service blamed
 * the request (a client fault) with a 4xx other than 408 and 429, and it is neither throttling nor marked
 * retryable (AWS services answer throttling with a 400).
 */
export function sdkRefusalReason(error: unknown): string | undefined {
  const failure = error as
    | {
        name?: string;
        message?: string;
        $fault?: string;
        $retryable?: unknown;
        $metadata?: { httpStatusCode?: number };
      }
    | undefined;
  const status = failure?.$metadata?.httpStatusCode;
  if (failure?.$fault !== 'client' || status === undefined || !isPermanentStatus(status)) return undefined;
  if (failure.$retryable || /throttl|toomanyrequests|limitexceeded/i.test(failure.name ?? '')) return undefined;
  return `${failure.name ?? 'Error'} (HTTP ${status}): ${failure.message ?? ''}`.trim();
}
