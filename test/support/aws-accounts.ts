import { AwsClientFactory, type AwsAccount } from '../../lib/connectors/aws-clients';
import { startFakeAws, type FakeAwsServer } from './fakes/aws-json-server';

/** The caller's own account, reached with its own credentials (no role). */
export const HOME = '111111111111';
/** An account reached by AssumeRole, with an external id. */
export const MEMBER = '222222222222';
export const ROLE = { roleName: 'certwarden-reader', externalId: 'certwarden-7f3a' };
export const ACCOUNTS: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];

/**
 * For a test file of an AWS connector: starts a fake AWS endpoint serving the given services, with MEMBER's role
 * granted, and an AwsClientFactory pointed at it in the production retry configuration (AWS_MAX_ATTEMPTS, mode
 * standard, the SDK's own delays) with HOME's caller credentials. Both are closed after each test.
 */
export function useFakeAwsAccounts(): (
  services: Omit<Parameters<typeof startFakeAws>[0], 'seed'>,
  seed: number,
) => Promise<{ aws: FakeAwsServer; clients: AwsClientFactory }> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return async (services, seed) => {
    const aws = await startFakeAws({ ...services, seed });
    aws.grantRole({ accountId: MEMBER, ...ROLE });
    const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
    cleanups.push(async () => {
      clients.destroy();
      await aws.close();
    });
    return { aws, clients };
  };
}
