import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoDbConnection {
  /** An endpoint URL (dynalite, DynamoDB Local, a VPC endpoint); the SDK's regional default when absent. */
  endpoint?: string;
  /** @default process.env.AWS_REGION ?? 'us-east-1' */
  region?: string;
}

const isLoopback = (endpoint: string): boolean => {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
};

/** One document client for the inventory, on AWS or on a local DynamoDB, with the SDK's standard retries. */
export function createDocumentClient(connection: DynamoDbConnection = {}): DynamoDBDocumentClient {
  const config: DynamoDBClientConfig = {
    region: connection.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: 8,
  };
  if (connection.endpoint) {
    config.endpoint = connection.endpoint;
    // A local DynamoDB accepts any signature; the user's real AWS credentials are neither needed nor sent there.
    if (isLoopback(connection.endpoint)) config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  const client = new DynamoDBClient(config);
  // The SDK's logger middleware runs its sensitive-data filter over every response even with no logger set (7% of
  // the CPU of listing 10,000 places); certwarden gives the SDK no logger, so the middleware has nothing to do.
  client.middlewareStack.remove('loggerMiddleware');
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
