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
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
