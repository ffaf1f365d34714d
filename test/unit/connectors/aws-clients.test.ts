import {
  AwsClientFactory,
  describeAwsError,
  isTransientAwsError,
  summaryHashOf,
  tagsOf,
  validateRefreshHours,
  walkScopes,
  type AwsAccount,
  type AwsClients,
} from '../../../lib/connectors/aws-clients';
import { ConfigError } from '../../../lib/domain/errors';
import { isScopeFailure, type ScopeFailure } from '../../../lib/ports/certificate-source';
import { collect } from '../../support/inventory';

describe('AwsClientFactory pacing', () => {
  type Middleware = (
    next: (args: unknown) => Promise<unknown>,
    context: { commandName?: string },
  ) => (args: unknown) => Promise<unknown>;

  /** A client that records the middleware the factory gives it, with where it goes in the stack. */
  const recordingClient = () => {
    const client = {
      added: [] as Array<{ middleware: Middleware; options: { relation: string; toMiddleware: string } }>,
      destroy() {},
      middlewareStack: {
        addRelativeTo: (middleware: Middleware, options: { relation: string; toMiddleware: string }) =>
          client.added.push({ middleware, options }),
      },
    };
    return client;
  };

  /** Sends `count` attempts of `operation` through each client's pacing at once; returns when each left, in ms. */
  async function sendTimes(clients: Array<ReturnType<typeof recordingClient>>, operation: string, count: number) {
    const start = Date.now();
    const times: number[] = [];
    const sends = clients.flatMap((client) =>
      Array.from({ length: count }, () =>
        client.added[0].middleware(async () => times.push(Date.now() - start), {
          commandName: `${operation}Command`,
        })({}),
      ),
    );
    await jest.runAllTimersAsync();
    await Promise.all(sends);
    return times.sort((a, b) => a - b);
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('paces each attempt (inside the retry loop) at the published quota, one bucket per account × region for every factory', async () => {
    const account = { accountId: '987654321001' };
    const first = new AwsClientFactory().client('acm', account, 'eu-west-1', recordingClient);
    const second = new AwsClientFactory().client('acm', account, 'eu-west-1', recordingClient);

    expect(first.added[0].options).toMatchObject({ relation: 'after', toMiddleware: 'retryMiddleware' });
    // ACM's DescribeCertificate quota is 10 a second: 20 attempts from two factories take two seconds together.
    expect(await sendTimes([first, second], 'DescribeCertificate', 10)).toEqual(
      Array.from({ length: 20 }, (_, index) => index * 100),
    );
  });

  it('takes a configured rate over the published one, and leaves operations without a quota alone', async () => {
    const client = new AwsClientFactory({ requestsPerSecond: { DescribeCertificate: 2 } }).client(
      'acm',
      { accountId: '987654321002' },
      'eu-west-1',
      recordingClient,
    );

    expect(await sendTimes([client], 'DescribeCertificate', 3)).toEqual([0, 500, 1000]);
    expect(await sendTimes([client], 'RequestCertificate', 3)).toEqual([0, 0, 0]);
  });
});

describe('summaryHashOf', () => {
  it('changes with a date in the summary (canonical JSON alone would see every Date as {})', () => {
    expect(summaryHashOf({ NotAfter: new Date('2026-01-01') })).not.toBe(
      summaryHashOf({ NotAfter: new Date('2027-01-01') }),
    );
  });

  it('does not change with key order, nor with time: a periodic re-check is not a change', () => {
    expect(summaryHashOf({ a: 1, b: 2 })).toBe(summaryHashOf({ b: 2, a: 1 }));
  });

  it.each([0, -1, NaN])('refuses %p refresh hours', (hours) => {
    expect(() => validateRefreshHours(hours)).toThrow(ConfigError);
  });
});

describe('tagsOf', () => {
  it('turns AWS tags into a record, a missing value into an empty string', () => {
    expect(tagsOf([{ Key: 'owner', Value: 'web' }, { Key: 'empty' }, { Value: 'no key' }])).toEqual({
      owner: 'web',
      empty: '',
    });
  });
});

describe('describeAwsError and isTransientAwsError', () => {
  const sdkError = (name: string, message: string, httpStatusCode?: number, attempts?: number) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode, attempts } });

  it('names the error and how many attempts it took', () => {
    expect(describeAwsError(sdkError('ThrottlingException', 'Rate exceeded', 400, 10))).toBe(
      'ThrottlingException: Rate exceeded (after 10 attempts)',
    );
    expect(describeAwsError(sdkError('AccessDenied', 'no', 403, 1))).toBe('AccessDenied: no');
  });

  it.each([
    ['ThrottlingException', 400, true],
    ['TooManyRequestsException', 429, true],
    ['InternalFailure', 500, true],
    ['ServiceUnavailable', 503, true],
    ['AccessDeniedException', 400, false],
    ['RequestInProgressException', 400, false],
  ])('counts %s (%i) as transient: %p', (name, status, transient) => {
    expect(isTransientAwsError(sdkError(name, 'x', status))).toBe(transient);
  });

  it('counts an error without an HTTP status (a network error) as transient', () => {
    expect(isTransientAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });
});

describe('walkScopes', () => {
  const home: AwsAccount = { accountId: '111111111111' };
  const member: AwsAccount = { accountId: '222222222222', roleName: 'reader' };

  const clients = (refused: string[] = []): AwsClients & { roleArn(account: AwsAccount): string | undefined } => ({
    client: () => {
      throw new Error('not used');
    },
    async verifyAccess(account) {
      if (refused.includes(account.accountId)) {
        throw Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      }
    },
    roleArn: (account) => (account.roleName ? `arn:aws:iam::${account.accountId}:role/${account.roleName}` : undefined),
  });

  it('lists a global service (IAM) once per account, named by the account alone, in its one region', async () => {
    const items = await collect(
      walkScopes({
        clients: clients(),
        accounts: [home, { ...member, regions: ['ap-south-1'] }],
        regions: [],
        globalRegion: 'us-east-1',
        concurrency: 2,
        operation: 'List',
        list: async function* (scope) {
          yield `${scope.id} in ${scope.region}`;
        },
      }),
    );

    expect((items as string[]).sort()).toEqual(['111111111111 in us-east-1', '222222222222 in us-east-1']);
  });

  it('lists every account × region, each account in its own regions when it names them', async () => {
    const items = await collect(
      walkScopes({
        clients: clients(),
        accounts: [home, { ...member, regions: ['ap-south-1'] }],
        regions: ['eu-west-1', 'us-east-1'],
        concurrency: 2,
        operation: 'List',
        list: async function* (scope) {
          yield `${scope.id}#1`;
          yield `${scope.id}#2`;
        },
      }),
    );

    expect((items as string[]).sort()).toEqual([
      '111111111111/eu-west-1#1',
      '111111111111/eu-west-1#2',
      '111111111111/us-east-1#1',
      '111111111111/us-east-1#2',
      '222222222222/ap-south-1#1',
      '222222222222/ap-south-1#2',
    ]);
  });

  it('lists no more than `concurrency` scopes at once', async () => {
    let running = 0;
    let most = 0;
    await collect(
      walkScopes({
        clients: clients(),
        accounts: [home, member],
        regions: ['a', 'b', 'c', 'd'],
        concurrency: 3,
        operation: 'List',
        list: async function* (scope) {
          running++;
          most = Math.max(most, running);
          // A turn of the event loop, not a time: every scope started so far has run up to here before it ends.
          await new Promise((resolve) => setImmediate(resolve));
          yield scope.id;
          running--;
        },
      }),
    );

    expect(most).toBe(3);
  });

  it('reports every region of an account whose credentials are refused, and lists the other account', async () => {
    const items = await collect(
      walkScopes({
        clients: clients([member.accountId]),
        accounts: [home, member],
        regions: ['eu-west-1', 'us-east-1'],
        concurrency: 4,
        operation: 'List',
        list: async function* (scope) {
          yield scope.id;
        },
      }),
    );

    const failures = items.filter((item): item is ScopeFailure => typeof item !== 'string' && isScopeFailure(item));
    expect(failures.map((failure) => failure.failedScope).sort()).toEqual([
      '222222222222/eu-west-1',
      '222222222222/us-east-1',
    ]);
    expect(failures[0].message).toBe(
      'cannot get credentials for arn:aws:iam::222222222222:role/reader: AccessDenied: not authorized',
    );
    expect(items.filter((item) => typeof item === 'string').sort()).toEqual([
      '111111111111/eu-west-1',
      '111111111111/us-east-1',
    ]);
  });

  it('keeps what a region listed before its listing failed, then reports the region', async () => {
    const items = await collect(
      walkScopes({
        clients: clients(),
        accounts: [home],
        regions: ['eu-west-1'],
        concurrency: 1,
        operation: 'ListCertificates',
        list: async function* () {
          yield 'first page';
          throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable', $metadata: { attempts: 10 } });
        },
      }),
    );

    expect(items).toEqual([
      'first page',
      {
        failedScope: '111111111111/eu-west-1',
        message: 'ListCertificates failed: ServiceUnavailable: unavailable (after 10 attempts)',
      },
    ]);
  });

  it('throws, rather than reporting a scope, when the listing was aborted', async () => {
    const controller = new AbortController();
    const walk = walkScopes({
      clients: clients(),
      accounts: [home],
      regions: ['eu-west-1'],
      concurrency: 1,
      operation: 'List',
      signal: controller.signal,
      list: async function* () {
        yield 'first page';
        controller.abort();
        throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
      },
    });

    await expect(collect(walk)).rejects.toThrow('Request aborted');
  });

  it('refuses a scope configured twice', async () => {
    const walk = walkScopes({
      clients: clients(),
      accounts: [home, home],
      regions: ['eu-west-1'],
      concurrency: 1,
      operation: 'List',
      list: async function* () {},
    });

    await expect(collect(walk)).rejects.toThrow('scope 111111111111/eu-west-1 is configured twice');
  });
});
