/**
 * Error codes of a connection that could not be made or was lost: nobody answered. An answer, even 429 or 503,
 * means the service is there and asks for patience, which the SDKs' retries give it; these mean it is gone.
 */
const CONNECTION_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // Socket timeouts: Node's and the OS's connect timeout, request-style libraries', undici's.
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * The connection-level code of an error, or undefined when it is anything else (an HTTP answer, a parse error).
 * Looks down the `cause` chain too: native fetch reports "fetch failed" with the socket's error as its cause.
 */
export function connectionFailureCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 4; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && CONNECTION_FAILURE_CODES.has(code)) return code;
    current = cause;
  }
  return undefined;
}

/** What an open breaker answers every call of its scope with: the scope is unreachable, and why. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(
    /** The scope the breaker guards. */
    readonly scope: string,
    /** The connection failure that opened it, e.g. `ECONNREFUSED`. */
    readonly code: string,
    readonly consecutiveFailures: number,
    options: { cause: unknown },
  ) {
    super(`${code} after ${consecutiveFailures} consecutive connection failures`, options);
  }
}

export interface CircuitBreakerOptions {
  /** What the breaker guards, e.g. a vault URL or `project/location`. */
  scope: string;
  /**
   * Consecutive connection failures (see connectionFailureCode) that open the breaker. `Infinity` never opens it,
   * leaving each call to its own retries. @default 3
   */
  threshold?: number;
}

/**
 * A circuit breaker for one scope of a source (a vault, a project and location) for one listing of it.
 *
 * A scope that has gone away otherwise holds a sync for as long as every one of its calls takes to spend its
 * retries, several calls at a time. The breaker counts connection failures in a row across all calls of the scope,
 * retries included (any answer resets the count); at the threshold it opens: calls not yet made are refused, calls
 * in flight or waiting to retry are aborted through `signal`, and all of them fail with the same
 * CircuitOpenError, which the connector reports as the scope's failure. Throttling and 5xx are answers, not
 * connection failures: they keep their retries.
 *
 * There is no half-open state: the breaker stays open for the rest of the listing, and `reset` closes it for the
 * next one, which tries the scope again.
 */
export class CircuitBreaker {
  readonly scope: string;
  private readonly threshold: number;
  private consecutiveFailures = 0;
  private controller = new AbortController();
  private callSignal = this.controller.signal;
  private openedBy: CircuitOpenError | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.scope = options.scope;
    this.threshold = options.threshold ?? 3;
  }

  /**
   * Aborted when the breaker opens, or when the listing's caller stops it (the signal given to `reset`): give it
   * to every call of the scope.
   */
  get signal(): AbortSignal {
    return this.callSignal;
  }

  /** Why the scope failed, once the breaker is open. */
  get failure(): CircuitOpenError | undefined {
    return this.openedBy;
  }

  /** A call about to be made is refused when the breaker is open. */
  throwIfOpen(): void {
    if (this.openedBy) throw this.openedBy;
  }

  /** The scope answered (whatever the status): it is reachable, the count starts over. */
  recordSuccess(): void {
    if (!this.openedBy) this.consecutiveFailures = 0;
  }

  /**
   * An attempt failed: a connection failure counts towards the threshold, and opens the breaker there. Other
   * errors leave the count as it is: they say nothing about whether the scope can be reached. True when the
   * breaker is open (now or already).
   */
  recordFailure(error: unknown): boolean {
    if (this.openedBy) return true;
    const code = connectionFailureCode(error);
    if (code === undefined) return false;
    this.consecutiveFailures++;
    if (this.consecutiveFailures < this.threshold) return false;
    this.openedBy = new CircuitOpenError(this.scope, code, this.consecutiveFailures, { cause: error });
    this.controller.abort(this.openedBy);
    return true;
  }

  /**
   * Runs one call of the scope: refused at once when the breaker is open, and when the breaker opens while it
   * runs, whatever it then fails with (an abort, its own connection error) gives way to the breaker's error, so
   * every call of a failed scope names the same cause. Counting is the caller's: where a client has a hook per
   * attempt, that is where failures are best recorded.
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.throwIfOpen();
    try {
      return await call();
    } catch (error) {
      throw this.openedBy ?? error;
    }
  }

  /**
   * Closed again with a fresh signal and the count cleared: for the scope's next listing, which its caller may
   * stop with `stop` (then `signal` is aborted too).
   */
  reset(stop?: AbortSignal): void {
    this.consecutiveFailures = 0;
    this.openedBy = undefined;
    this.controller = new AbortController();
    this.callSignal = stop ? AbortSignal.any([stop, this.controller.signal]) : this.controller.signal;
  }
}
