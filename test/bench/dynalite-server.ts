import { startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';

/** The benchmark's database in its own process, so the sync's memory is measured alone. */
void (async () => {
  const server = await startEmbeddedDynamoDb({ path: process.argv[2] });
  process.stdout.write(`${server.endpoint}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
})();
