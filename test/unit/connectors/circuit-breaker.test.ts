import { CircuitBreaker, CircuitOpenError, connectionFailureCode } from '../../../lib/connectors/circuit-breaker';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
/** An HTTP answer as the SDKs throw it: the service is there. */
const httpError = (statusCode: number, code: string) => Object.assign(new Error(code), { statusCode, code });

describe('connectionFailureCode', () => {
  it.each([
    ['refused', socketError('ECONNREFUSED'), 'ECONNREFUSED'],
    ['reset', socketError('ECONNRESET'), 'ECONNRESET'],
    ['unknown host', socketError('ENOTFOUND'), 'ENOTFOUND'],
    ['DNS not answering', socketError('EAI_AGAIN'), 'EAI_AGAIN'],
    ['connect timeout', socketError('ETIMEDOUT'), 'ETIMEDOUT'],
    ["undici's connect timeout", socketError('UND_ERR_CONNECT_TIMEOUT'), 'UND_ERR_CONNECT_TIMEOUT'],
    ["native fetch's cause", new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') }), 'ECONNREFUSED'],
  ])('names a connection failure: %s', (_what, error, code) => {
    expect(connectionFailureCode(error)).toBe(code);
  });

  it.each([
    ['throttled (429)', httpError(429, 'Throttled')],
    ['unavailable (503)', httpError(503, 'ServiceUnavailable')],
    ['forbidden (403)', httpError(403, 'Forbidden')],
    ['an untrusted certificate', socketError('UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
    ['an abort', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
    ['a numeric code', { code: 14 }],
  ])('is undefined for anything else: %s', (_what, error) => {
    expect(connectionFailureCode(error)).toBeUndefined();
  });

  it('stops looking down a cause chain that loops', () => {
    const looping: { message: string; cause?: unknown } = { message: 'loop' };
    looping.cause = looping;

    expect(connectionFailureCode(looping)).toBeUndefined();
  });
});

describe('CircuitBreaker', () => {
  const scope = 'https://gone.vault.azure.net';

  it('opens at the third consecutive connection failure, naming the cause, and aborts its signal', () => {
    const breaker = new CircuitBreaker({ scope });

    expect(breaker.recordFailure(socketError('ECONNRESET'))).toBe(false);
    expect(breaker.recordFailure(socketError('ECONNREFUSED'))).toBe(false);
    expect(breaker.signal.aborted).toBe(false);
    const last = socketError('ECONNREFUSED');
    expect(breaker.recordFailure(last)).toBe(true);

    expect(breaker.failure).toBeInstanceOf(CircuitOpenError);
    expect(breaker.failure).toMatchObject({
      scope,
      code: 'ECONNREFUSED',
      consecutiveFailures: 3,
      message: 'ECONNREFUSED after 3 consecutive connection failures',
      cause: last,
    });
    expect(breaker.signal.aborted).toBe(true);
    expect(breaker.signal.reason).toBe(breaker.failure);
  });

  it.each([1, 5])('opens at a threshold of %i', (threshold) => {
    const breaker = new CircuitBreaker({ scope, threshold });
    for (let failure = 1; failure < threshold; failure++) breaker.recordFailure(socketError('ENOTFOUND'));
    expect(breaker.failure).toBeUndefined();

    breaker.recordFailure(socketError('ENOTFOUND'));

    expect(breaker.failure?.message).toBe(`ENOTFOUND after ${threshold} consecutive connection failures`);
  });

  it('starts the count over when the scope answers in between', () => {
    const breaker = new CircuitBreaker({ scope });
    breaker.recordFailure(socketError('ECONNRESET'));
    breaker.recordFailure(socketError('ECONNRESET'));

    breaker.recordSuccess();
    breaker.recordFailure(socketError('ECONNRESET'));
    breaker.recordFailure(socketError('ECONNRESET'));

    expect(breaker.failure).toBeUndefined();
  });

  it('never counts throttling or server errors: those keep their retries', () => {
    const breaker = new CircuitBreaker({ scope });

    for (let attempt = 0; attempt < 10; attempt++) {
      expect(breaker.recordFailure(httpError(429, 'Throttled'))).toBe(false);
      expect(breaker.recordFailure(httpError(503, 'ServiceUnavailable'))).toBe(false);
    }

    expect(breaker.failure).toBeUndefined();
    expect(breaker.signal.aborted).toBe(false);
  });

  it('never opens with an infinite threshold', () => {
    const breaker = new CircuitBreaker({ scope, threshold: Infinity });

    for (let attempt = 0; attempt < 100; attempt++) breaker.recordFailure(socketError('ECONNREFUSED'));

    expect(breaker.failure).toBeUndefined();
  });

  it('stays open whatever comes after: an answer does not close it within the listing', () => {
    const breaker = new CircuitBreaker({ scope, threshold: 1 });
    breaker.recordFailure(socketError('ECONNREFUSED'));

    breaker.recordSuccess();

    expect(() => breaker.throwIfOpen()).toThrow(CircuitOpenError);
    expect(breaker.recordFailure(new Error('anything'))).toBe(true);
  });

  describe('run', () => {
    it('passes a closed breaker’s result and errors through', async () => {
      const breaker = new CircuitBreaker({ scope });
      const denied = httpError(403, 'Forbidden');

      await expect(breaker.run(async () => 'certificate')).resolves.toBe('certificate');
      await expect(breaker.run(() => Promise.reject(denied))).rejects.toBe(denied);
    });

    it('refuses a call when open, without making it', async () => {
      const breaker = new CircuitBreaker({ scope, threshold: 1 });
      breaker.recordFailure(socketError('ECONNREFUSED'));
      const call = jest.fn(async () => 'never');

      await expect(breaker.run(call)).rejects.toBe(breaker.failure);
      expect(call).not.toHaveBeenCalled();
    });

    it('fails a call in flight with the breaker’s error when another call opens it', async () => {
      const breaker = new CircuitBreaker({ scope, threshold: 1 });
      // A call that, like the SDK's, stops when its signal is aborted.
      const inFlight = breaker.run(
        () =>
          new Promise((_resolve, reject) =>
            breaker.signal.addEventListener('abort', () => reject(new Error('The operation was aborted'))),
          ),
      );

      breaker.recordFailure(socketError('ECONNRESET'));

      await expect(inFlight).rejects.toMatchObject({ name: 'CircuitOpenError', code: 'ECONNRESET' });
    });
  });

  it('aborts its signal when the listing’s caller stops, without opening', () => {
    const breaker = new CircuitBreaker({ scope });
    const caller = new AbortController();
    breaker.reset(caller.signal);

    caller.abort(new Error('sync stopped'));

    expect(breaker.signal.aborted).toBe(true);
    expect(breaker.failure).toBeUndefined();
  });

  it('reset closes it for the next listing, with a fresh signal and the count cleared', () => {
    const breaker = new CircuitBreaker({ scope, threshold: 2 });
    breaker.recordFailure(socketError('ECONNREFUSED'));
    breaker.recordFailure(socketError('ECONNREFUSED'));
    const openedSignal = breaker.signal;

    breaker.reset();

    expect(breaker.failure).toBeUndefined();
    expect(openedSignal.aborted).toBe(true);
    expect(breaker.signal.aborted).toBe(false);
    expect(() => breaker.throwIfOpen()).not.toThrow();
    breaker.recordFailure(socketError('ECONNREFUSED'));
    expect(breaker.failure).toBeUndefined();
  });
});
