import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CtLogError } from '../../../lib/domain/errors';
import { HttpCtLog } from '../../../lib/adapters/http-ct-log';

/** A log that answers whatever the test sets, to see each way an answer can be wrong named in one line. */
let answer: (response: ServerResponse) => void;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) => answer(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (status: number, body: unknown) => (response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
};
/** A short timeout only where the test waits for it: a loaded machine must not turn an answer into a timeout. */
const log = (timeoutMs = 10_000) => new HttpCtLog({ name: 'argon', url, timeoutMs });
const entry = { leaf_input: 'AAA=', extra_data: '' };

describe('HttpCtLog', () => {
  it.each([
    ['an HTTP error', json(503, { error: 'busy' }), 'argon: get-sth: HTTP 503'],
    ['an answer that is not JSON', json(200, '<html>'), 'argon: get-sth: the answer is not JSON'],
    [
      'an answer that is not RFC 6962',
      json(200, { tree_size: -1 }),
      'argon: get-sth: not an RFC 6962 answer (tree_size)',
    ],
    [
      'no answer in time',
      () => undefined,
      'argon: get-sth: http://127.0.0.1:PORT/log/ unreachable (no answer in 300 ms)',
    ],
  ])('names %s in one line', async (what, answering, message) => {
    answer = answering;
    const error = await log(what === 'no answer in time' ? 300 : undefined)
      .getSth()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CtLogError);
    expect((error as Error).message).toBe(message.replace('PORT', new URL(url).port));
  });

  it('reads a tree head under a base URL given without its trailing slash', async () => {
    answer = json(200, { tree_size: 7, timestamp: 1, sha256_root_hash: 'AA==', tree_head_signature: 'AA==' });
    await expect(log().getSth()).resolves.toMatchObject({ treeSize: 7, timestamp: 1 });
  });

  it('refuses a page longer than asked for', async () => {
    answer = json(200, { entries: [entry, entry, entry] });
    await expect(log().getEntries(0, 1)).rejects.toThrow('argon: get-entries 0-1 returned 3 entries');
  });

  it("says it stopped, not that the log is unreachable, when the caller's own deadline passes", async () => {
    answer = () => undefined;
    const deadline = AbortSignal.timeout(50);
    const error = await new HttpCtLog({ name: 'argon', url, timeoutMs: 5000 })
      .getEntries(0, 9, deadline)
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/^argon: get-entries: stopped \(TimeoutError: /);
  });
});
