import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A PutEvents entry as the SDK sends it. */
export interface PutEventsEntry {
  DetailType: string;
  Source: string;
  EventBusName: string;
  Detail: string;
}

/**
 * A local EventBridge that takes every PutEvents and keeps its entries, for handlers run in process with the real
 * SDK client pointed at it (AWS_ENDPOINT_URL_EVENTBRIDGE = `endpoint`).
 */
export async function startFakeEventBridge(): Promise<{
  endpoint: string;
  published: PutEventsEntry[];
  close(): Promise<void>;
}> {
  const published: PutEventsEntry[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { Entries } = JSON.parse(body);
      published.push(...Entries);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    published,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
