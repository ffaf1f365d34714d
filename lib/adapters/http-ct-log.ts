import * as z from 'zod/mini';
import type { CtConfig } from '../domain/ct-config';
import { CtLogError } from '../domain/errors';
import type { CtLog, RawCtEntry, SignedTreeHead } from '../ports/ct-log';
import { treeHeadSignedBy } from '../x509/ct-entry';

export interface HttpCtLogOptions {
  name: string;
  /** The log's base URL; `ct/v1/…` is resolved against it. */
  url: string;
  /** @default 256 */
  batchSize?: number;
  /** Each request is abandoned after this long. @default 10000 */
  timeoutMs?: number;
  /** The log's key (DER SubjectPublicKeyInfo): every tree head must be signed by it. @default not verified */
  publicKey?: Uint8Array;
}

const base64 = z.base64();
const SthResponse = z.object({
  tree_size: z.int().check(z.nonnegative()),
  timestamp: z.int().check(z.nonnegative()),
  sha256_root_hash: base64,
  tree_head_signature: base64,
});
const EntriesResponse = z.object({
  entries: z.array(z.object({ leaf_input: base64, extra_data: base64 })),
});

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * An RFC 6962 log over HTTP(S), with fetch. Every failure, whether the log is unreachable, answers an HTTP error
 * or answers something that is not RFC 6962, is one CtLogError naming the log and the call. No retries here: the
 * monitor keeps its position, so the next poll asks again from where this one stopped.
 */
export class HttpCtLog implements CtLog {
  readonly name: string;
  readonly url: string;
  readonly batchSize: number;
  private readonly timeoutMs: number;
  private readonly publicKey?: Uint8Array;

  constructor(options: HttpCtLogOptions) {
    this.name = options.name;
    this.url = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.batchSize = options.batchSize ?? 256;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.publicKey = options.publicKey;
  }

  async getSth(signal?: AbortSignal): Promise<SignedTreeHead> {
    const answer = await this.call('get-sth', SthResponse, signal);
    const sth = {
      treeSize: answer.tree_size,
      timestamp: answer.timestamp,
      rootHash: bytes(answer.sha256_root_hash),
      signature: bytes(answer.tree_head_signature),
    };
    if (this.publicKey && !treeHeadSignedBy(sth, this.publicKey))
      throw new CtLogError(`${this.name}: get-sth: the tree head is not signed by the configured publicKey`);
    return sth;
  }

  async getEntries(start: number, end: number, signal?: AbortSignal): Promise<RawCtEntry[]> {
    const answer = await this.call(`get-entries?start=${start}&end=${end}`, EntriesResponse, signal);
    if (answer.entries.length > end - start + 1)
      throw new CtLogError(`${this.name}: get-entries ${start}-${end} returned ${answer.entries.length} entries`);
    return answer.entries.map((entry) => ({ leafInput: bytes(entry.leaf_input), extraData: bytes(entry.extra_data) }));
  }

  private async call<T>(path: string, shape: z.ZodMiniType<T>, signal?: AbortSignal): Promise<T> {
    const what = `${this.name}: ${path.split('?')[0]}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await fetch(new URL(`ct/v1/${path}`, this.url), {
        headers: { accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      // The caller's own deadline (the Lambda's time running out) is not the log's fault.
      if (signal?.aborted) throw new CtLogError(`${what}: stopped (${String(signal.reason)})`, { cause: error });
      const why = timeout.aborted ? `no answer in ${this.timeoutMs} ms` : causeOf(error);
      throw new CtLogError(`${what}: ${this.url} unreachable (${why})`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new CtLogError(`${what}: HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new CtLogError(`${what}: the answer is not JSON`, { cause: error });
    }
    const parsed = shape.safeParse(body);
    if (!parsed.success)
      throw new CtLogError(`${what}: not an RFC 6962 answer (${parsed.error.issues[0]?.path.join('.') || 'body'})`);
    return parsed.data;
  }
}

/** fetch's TypeError says `fetch failed`; the reason (ECONNREFUSED, ENOTFOUND) is its cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** The configured logs (the config's `ct.logs`), each over HTTP with the configured timeout. */
export const httpCtLogs = (ct: CtConfig): HttpCtLog[] =>
  ct.logs.map(
    (log) =>
      new HttpCtLog({
        ...log,
        timeoutMs: ct.timeoutMs,
        publicKey: log.publicKey === undefined ? undefined : bytes(log.publicKey),
      }),
  );
