/** Reads a secret's string by its ARN; in production AWS Secrets Manager's GetSecretValue. */
export type SecretFetcher = (secretArn: string) => Promise<string>;
