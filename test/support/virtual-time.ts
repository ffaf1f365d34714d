import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as realImmediate, setTimeout as realSleep } from 'node:timers/promises';

/**
 * Virtual time for tests that drive real SDK clients over real sockets to in-process fakes: retries, back-off,
 * Retry-After waits and timeouts run on jest's fake clock with the production settings, and cost no real time.
 *
 * The clock moves only when the code under test has nothing to do but wait for a timer: no HTTP request of this
 * process is on the wire (a fake holding a response on purpose, `holdResponse`, does not count) and a few turns of
 * the event loop have passed without one starting or ending. It then jumps to the next timer and fires it, so what
 * a test sees of time (`Date.now()` in the fakes' logs, the delays the clients computed) is the same on an idle
 * machine and on a loaded one: requests take no virtual time at all.
 *
 * Node's own timers (socket timeouts, keep-alive, `node:timers/promises`) stay real; the clients' and the
 * connectors' `setTimeout`, `setInterval` and `Date` are the fake ones. Requests are seen from `start` on: one
 * still on the wire from before would not keep the clock still, so arrange (real time) before acting.
 */

/** Event-loop turns without HTTP activity before the clock may move: lets promise chains and streams run out. */
const QUIET_TURNS = 5;
/** A run whose clock passes this has a timer that re-arms itself forever (a bug in the test, not slowness). */
const DEFAULT_HORIZON_MS = 6 * 3_600_000;

interface InFlight {
  socket(): Socket | null | undefined;
}

const inFlight = new Map<object, InFlight>();
const held = new Set<Socket>();
let activity = 0;
let wake: (() => void) | null = null;
let subscribers = 0;

const touched = () => {
  activity++;
  wake?.();
};
const begin = (request: object, entry: InFlight) => {
  inFlight.set(request, entry);
  touched();
};
const end = (request: object) => {
  if (inFlight.delete(request)) touched();
};

function onHttpStart(message: unknown) {
  const { request } = message as { request: ClientRequest };
  begin(request, { socket: () => request.socket });
  request.once('close', () => end(request));
}
const undiciSockets = new WeakMap<object, Socket>();
function onUndiciCreate(message: unknown) {
  const { request } = message as { request: object };
  begin(request, { socket: () => undiciSockets.get(request) });
}
function onUndiciHeaders(message: unknown) {
  const { request, socket } = message as { request: object; socket: Socket };
  undiciSockets.set(request, socket);
  touched();
}
function onUndiciDone(message: unknown) {
  end((message as { request: object }).request);
}

const CHANNELS: Array<[string, (message: unknown) => void]> = [
  ['http.client.request.start', onHttpStart],
  ['undici:request:create', onUndiciCreate],
  ['undici:client:sendHeaders', onUndiciHeaders],
  ['undici:request:trailers', onUndiciDone],
  ['undici:request:error', onUndiciDone],
];

function listen(): void {
  if (subscribers++ === 0) for (const [name, handler] of CHANNELS) subscribe(name, handler);
}
function unlisten(): void {
  if (--subscribers === 0) {
    for (const [name, handler] of CHANNELS) unsubscribe(name, handler);
    inFlight.clear();
    held.clear();
  }
}

/**
 * For fakes that answer late on purpose (latency, a stalled call): the request on this socket no longer keeps
 * the clock still, until the returned function is called (the fake answered) or the connection closes.
 */
export function holdResponse(socket: Socket): () => void {
  held.add(socket);
  const release = () => {
    if (held.delete(socket)) touched();
  };
  socket.once('close', release);
  touched();
  return release;
}

/** Whether every request on the wire is one a fake holds: then only a timer can move things on. */
function waitingOnTimersOnly(): boolean {
  for (const request of inFlight.values()) {
    const socket = request.socket();
    if (!socket || socket.localPort === undefined || !isHeld(socket)) return false;
  }
  return true;
}

function isHeld(client: Socket): boolean {
  for (const server of held) {
    if (server.remotePort === client.localPort && server.localPort === client.remotePort) return true;
  }
  return false;
}

/** Resolves at the next start or end of a request (or a hold), whichever comes first. */
function nextActivity(): Promise<void> {
  return new Promise((resolve) => {
    wake = () => {
      wake = null;
      resolve();
    };
  });
}

/** Waits until only timers can move things on: nothing unheld on the wire, and QUIET_TURNS turns unchanged. */
async function quiet(isSettled: () => boolean): Promise<void> {
  for (;;) {
    if (isSettled()) return;
    if (!waitingOnTimersOnly()) {
      // Sockets of requests that have not connected yet have no events of their own here: poll for them.
      await Promise.race([nextActivity(), realSleep(5)]);
      continue;
    }
    const before = activity;
    for (let turn = 0; turn < QUIET_TURNS && activity === before && !isSettled(); turn++) await realImmediate();
    if (activity === before) return;
  }
}

export interface VirtualTimeOptions {
  /** Virtual milliseconds after which a run fails instead of going on. @default 6 hours */
  horizonMs?: number;
}

/** Jest's fake clock, installed until `stop`, moved from timer to timer while the work waits only on timers. */
export class VirtualTime {
  private readonly startedAt: number;
  private stopped = false;

  private constructor(private readonly horizonMs: number) {
    this.startedAt = Date.now();
  }

  /** Installs jest's fake timers (all but the event loop's own queues) and starts watching this process's HTTP requests. */
  static start(options: VirtualTimeOptions = {}): VirtualTime {
    listen();
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'hrtime'] });
    return new VirtualTime(options.horizonMs ?? DEFAULT_HORIZON_MS);
  }

  /** Virtual milliseconds since `start`. */
  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  /** Moves the clock whenever only a timer can move the work on, until the work settles; returns its result. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => (settled = true));
    watched.catch(() => undefined);
    while (!settled) {
      await quiet(() => settled);
      if (settled) break;
      if (jest.getTimerCount() === 0) {
        // Waiting on something that is neither a request nor a timer (a worker thread, the file system).
        await realSleep(1);
        continue;
      }
      await this.next();
    }
    return watched;
  }

  /**
   * Lets the clock run until nothing is left to do (no unheld request on the wire, no timer) or `forMs` virtual
   * milliseconds have passed: for a test that asserts what does *not* happen later.
   */
  async runOut(forMs: number): Promise<void> {
    const until = Date.now() + forMs;
    while (Date.now() < until) {
      await quiet(() => false);
      if (jest.getTimerCount() === 0) return;
      await this.next();
    }
  }

  /** Real timers again; fake timers still pending are dropped. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    jest.useRealTimers();
    unlisten();
  }

  private async next(): Promise<void> {
    await jest.advanceTimersToNextTimerAsync();
    if (this.elapsed() > this.horizonMs) {
      throw new Error(`virtual time passed ${this.horizonMs} ms with work still running: a timer that never stops?`);
    }
  }
}

/** Runs `work` in virtual time (fake timers for the run, real ones after) and returns its result. */
export async function inVirtualTime<T>(work: () => Promise<T>, options: VirtualTimeOptions = {}): Promise<T> {
  const time = VirtualTime.start(options);
  try {
    return await time.run(work());
  } finally {
    time.stop();
  }
}
