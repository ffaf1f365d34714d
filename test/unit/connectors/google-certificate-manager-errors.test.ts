import { googleErrorFacts } from '../../../lib/connectors/google-certificate-manager';

/** What a failed SDK call rejects with on the REST transport: a GaxiosError (shape as observed from gax 5 + gaxios 7). */
function restError(status: number, body: object, headers: Record<string, string> = {}) {
  return Object.assign(new Error(JSON.stringify({ error: body })), {
    code: status,
    status,
    response: { status, headers: new Headers(headers) },
  });
}

describe('reading a Certificate Manager call failure', () => {
  it.each([
    [
      '429 RESOURCE_EXHAUSTED with Retry-After',
      restError(429, { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' }, { 'retry-after': '3' }),
      { transient: true, throttled: true, retryAfterMs: 3000, description: '429 RESOURCE_EXHAUSTED: Quota exceeded' },
    ],
    [
      '503 UNAVAILABLE with a google.rpc.RetryInfo',
      restError(503, {
        code: 503,
        status: 'UNAVAILABLE',
        message: 'try later',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }],
      }),
      { transient: true, throttled: false, retryAfterMs: 1500, description: '503 UNAVAILABLE: try later' },
    ],
    [
      '403 PERMISSION_DENIED',
      restError(403, { code: 403, status: 'PERMISSION_DENIED', message: 'denied' }),
      { transient: false, throttled: false, description: '403 PERMISSION_DENIED: denied' },
    ],
    [
      'a reset socket (node-fetch)',
      Object.assign(new Error('request to http://host/v1 failed, reason: socket hang up'), { code: 'ECONNRESET' }),
      { transient: true, throttled: false },
    ],
    [
      'a reset socket (native fetch: the code is in the cause)',
      Object.assign(new Error('fetch failed'), {
        cause: Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
        }),
      }),
      { transient: true, throttled: false },
    ],
    [
      'a gRPC UNAVAILABLE (gRPC transport)',
      Object.assign(new Error('14 UNAVAILABLE: connection dropped'), { code: 14 }),
      { transient: true, throttled: false, description: '14 UNAVAILABLE: connection dropped' },
    ],
    [
      'a gRPC RESOURCE_EXHAUSTED with RetryInfo in statusDetails',
      Object.assign(new Error('8 RESOURCE_EXHAUSTED: quota'), {
        code: 8,
        statusDetails: [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: '2', nanos: 0 } },
        ],
      }),
      { transient: true, throttled: true, retryAfterMs: 2000 },
    ],
    ['a closed client', 'The client has already been closed.', { transient: false, throttled: false }],
  ])('%s', (_case, error, expected) => {
    expect(googleErrorFacts(error)).toMatchObject(expected);
  });

  it('reads Retry-After given as an HTTP date', () => {
    // A fixed clock: the date is ten seconds ahead of "now" exactly, however long the machine takes to get here.
    jest.useFakeTimers({ now: new Date('2026-06-01T00:00:00.000Z') });
    try {
      const at = new Date(Date.now() + 10_000).toUTCString();

      const facts = googleErrorFacts(
        restError(429, { code: 429, status: 'RESOURCE_EXHAUSTED' }, { 'retry-after': at }),
      );

      expect(facts.retryAfterMs).toBe(10_000);
    } finally {
      jest.useRealTimers();
    }
  });
});
