import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the endpoint answers one request. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceivedRequest<Body = unknown> {
  /** When it arrived (ms since the epoch): retry spacing is asserted on it. */
  at: number;
  headers: IncomingHttpHeaders;
  /** The JSON body. */
  body: Body;
  /** The status it was answered with. */
  status: number;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a JSON webhook (Slack's incoming webhook, a SIEM collector):
 * it records every request and answers from `script` first, then with `status` (200 "ok" by default, any other
 * status "no"), so tests can make it refuse, rate-limit or fail on demand.
 */
/** `Body`: the JSON the tests expect to be sent (not checked here). */
export class HttpEndpoint<Body = unknown> {
  readonly requests: Array<ReceivedRequest<Body>> = [];
  script: Answer[] = [];
  /** The answer once the script is spent; `always` overrides it with a full answer. */
  status = 200;
  always: Answer | undefined;
  /** Consulted first: an answer for this body (e.g. refuse one message), or undefined to answer as usual. */
  answerFor: ((body: Body) => Answer | undefined) | undefined;
  url = '';
  private server: Server | undefined;

  /** `path` is part of the URL: for a webhook it is the secret the tests check never leaks. */
  constructor(private readonly path: string) {}

  /** The bodies of the requests answered 2xx: what the endpoint took (JSON, read as the test expects it). */
  get received(): Body[] {
    return this.accepted.map((request) => request.body);
  }

  /** The requests answered 2xx. */
  get accepted(): Array<ReceivedRequest<Body>> {
    return this.requests.filter((request) => request.status >= 200 && request.status < 300);
  }

  reset(): void {
    this.requests.length = 0;
    this.script = [];
    this.status = 200;
    this.always = undefined;
    this.answerFor = undefined;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const json = JSON.parse(body) as Body;
        const answer = this.answerFor?.(json) ??
          this.script.shift() ??
          this.always ?? { status: this.status, body: this.status === 200 ? 'ok' : 'no' };
        this.requests.push({ at: Date.now(), headers: request.headers, body: json, status: answer.status });
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.path}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
