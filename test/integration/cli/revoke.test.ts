import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoRevocationLedger } from '../../../lib/adapters/dynamodb-revocation-ledger';
import { revokeCommand } from '../../../lib/cli/commands/revoke';
import { EXIT } from '../../../lib/cli/exit-codes';
import { systemClock } from '../../../lib/ports/clock';
import { certwarden } from '../../support/cli';
import { startFakeEventBridge } from '../../support/fake-eventbridge';
import { FakeAcm, type FakeAcmCertificate } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { importedFromPca } from '../../support/fakes/pca-imported';
import { FakePca, type FakeCertificateAuthority } from '../../support/fakes/pca-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';

/**
 * `certwarden revoke` against the ACM and ACM Private CA wire fakes, with the source's configured endpoints and
 * the caller's keys; the certificates are issued at test time by the fake CA.
 */
const dynamo = useEmbeddedDynamoDb();
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const LOAD_BALANCER = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/1`;

let aws: FakeAwsServer;
let acm: FakeAcm;
let pca: FakePca;
let authority: FakeCertificateAuthority;
let env: Record<string, string>;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-revoke-'));
  acm = await FakeAcm.create(systemClock.now());
  pca = new FakePca(systemClock.now());
  authority = await pca.add({ accountId: ACCOUNT, region: REGION, commonName: 'Issuing CA' });
  aws = await startFakeAws({ services: [acm.service, pca.service], seed: 4 });
  const { accessKeyId, secretAccessKey } = aws.callerCredentials(ACCOUNT);
  env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: REGION };
});
afterAll(() => aws.close());

/** An ACM certificate imported from the fake Private CA, in use by a load balancer. */
const imported = async (domainName: string): Promise<FakeAcmCertificate> =>
  (await importedFromPca(acm, pca, authority, { domainName, inUseBy: [LOAD_BALANCER] })).certificate;

/** A config with one ACM source at the fakes (naming the CA unless told not to), and a fresh inventory synced from it. */
async function syncedConfig({ withCa = true } = {}): Promise<{ file: string; inventory: TestInventory }> {
  const inventory = await dynamo.inventory();
  const file = join(work, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({
      inventory: { store: inventory.endpoint, table: inventory.tableName },
      sources: [
        {
          kind: 'aws-acm',
          name: 'acm',
          regions: [REGION],
          accounts: [{ accountId: ACCOUNT }],
          endpoints: { acm: aws.endpoint, 'acm-pca': aws.endpoint, sts: aws.endpoint },
          ...(withCa && { issuingCertificateAuthorities: [authority.arn] }),
        },
      ],
    }),
  );
  expect((await certwarden(['sync', '--config', file], env)).code).toBe(0);
  return { file, inventory };
}

const revokeCallsOf = (certificate: FakeAcmCertificate) =>
  pca.revokeCalls.filter(
    (call) => String(call.CertificateSerial).replace(/:/g, '') === certificate.issued!.serial.toLowerCase(),
  );

describe('certwarden revoke', () => {
  it('with --dry-run prints the plan and the places to replace, and revokes nothing', async () => {
    const certificate = await imported('dry.example.com');
    const { file } = await syncedConfig();

    const run = await certwarden(
      ['revoke', certificate.arn, '--reason', 'keyCompromise', '--dry-run', '--config', file],
      env,
    );

    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^outcome +dry run: nothing done$/m);
    expect(run.stdout).toContain(
      `would revoke serial ${certificate.issued!.serial.toUpperCase()} at ${authority.arn} (keyCompromise)`,
    );
    expect(run.stdout).toContain('Would have to replace it at (1 place):');
    expect(revokeCallsOf(certificate)).toEqual([]);
  });

  it('refuses to run without --yes when nobody can confirm at a terminal, in one line, exit 2', async () => {
    const certificate = await imported('unconfirmed.example.com');
    const { file } = await syncedConfig();

    const run = await certwarden(['revoke', certificate.arn, '--reason', 'keyCompromise', '--config', file], env);

    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toBe(
      'certwarden: revoking cannot be undone: add --yes to confirm (or --dry-run to see the plan)\n',
    );
    expect(revokeCallsOf(certificate)).toEqual([]);
  });

  it('revokes at the Private CA and prints the runbook: every place, what uses it, its owner, the next command', async () => {
    const certificate = await imported('shop.example.com');
    const { file } = await syncedConfig();
    const locationId = `aws-acm:${certificate.arn}`;

    const run = await certwarden(
      ['revoke', certificate.arn, '--reason', 'keyCompromise', '--yes', '--config', file],
      env,
    );

    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^outcome +revoked$/m);
    expect(run.stdout).toMatch(new RegExp(`^revoking CA +${authority.arn}$`, 'm'));
    expect(run.stdout).toMatch(/^recorded +by cli:\S+ at \S+$/m);
    expect(run.stdout).toMatch(/^events +Certificate Revoked \(not sent: no --event-bus\)$/m);
    expect(run.stdout).toContain(
      [
        'Replace it at (1 place):',
        `- ${locationId}`,
        `    owner        unowned (${ACCOUNT} ${REGION})`,
        `    in use by    ${LOAD_BALANCER}`,
        `    next         certwarden renew ${locationId}`,
      ].join('\n'),
    );
    expect(revokeCallsOf(certificate)).toHaveLength(1);
  });

  it('with --event-bus sends its event to that bus through EventBridge, and says so', async () => {
    const certificate = await imported('announced.example.com');
    const { file } = await syncedConfig();
    const bus = await startFakeEventBridge();
    try {
      const run = await certwarden(
        ['revoke', certificate.arn, '--reason', 'keyCompromise', '--yes', '--event-bus', 'ops-bus', '--config', file],
        { ...env, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint },
      );

      expect(run.stderr).toBe('');
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^events +Certificate Revoked \(sent to ops-bus\)$/m);
      expect(bus.published).toEqual([
        expect.objectContaining({ EventBusName: 'ops-bus', DetailType: 'Certificate Revoked' }),
      ]);
    } finally {
      await bus.close();
    }
  });

  it('run again, says it was revoked already, by whom, and records and calls nothing a second time', async () => {
    const certificate = await imported('again.example.com');
    const { file, inventory } = await syncedConfig();
    const args = ['revoke', certificate.arn, '--reason', 'keyCompromise', '--yes', '--config', file];
    expect((await certwarden(args, env)).code).toBe(EXIT.ok);
    const ledger = new DynamoRevocationLedger(inventory.client, inventory.tableName);
    const first = await ledger.recordOf(certificate.issued!.fingerprint);

    const again = await certwarden([...args.slice(0, 3), 'superseded', ...args.slice(4), '--json'], env);

    expect(again.code).toBe(EXIT.ok);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({ outcome: 'duplicate', events: [] });
    expect(report.message).toMatch(
      new RegExp(`^already revoked at ${authority.arn} by cli:\\S+ at \\S+ \\(keyCompromise\\): nothing done again$`),
    );
    expect(await ledger.recordOf(certificate.issued!.fingerprint)).toEqual(first);
    expect(revokeCallsOf(certificate)).toHaveLength(1);
  });

  it('says plainly that the issuing CA must revoke a certificate no configured Private CA issued, and exits 3', async () => {
    const certificate = await imported('elsewhere.example.com');
    const { file } = await syncedConfig({ withCa: false });

    const run = await certwarden(
      ['revoke', certificate.arn, '--reason', 'keyCompromise', '--yes', '--config', file],
      env,
    );

    expect(EXIT.issuerMustRevoke).toBe(3);
    expect(run.code).toBe(EXIT.issuerMustRevoke);
    expect(run.stdout).toMatch(/^outcome +issuer-must-revoke$/m);
    expect(run.stdout).toContain(
      'result          no configured ACM Private CA issued this certificate: its issuing CA (CN=Issuing CA) must revoke it',
    );
    expect(run.stdout).toMatch(/^events +Certificate Revoked/m);
    expect(run.stdout).toContain('    next         replace it by hand (unowned)');
    expect(revokeCallsOf(certificate)).toEqual([]);
  });

  it('refuses a reason RFC 5280 does not name, listing the ones it does, exit 2', async () => {
    const certificate = await imported('reason.example.com');
    const { file } = await syncedConfig();

    const run = await certwarden(['revoke', certificate.arn, '--reason', 'oops', '--yes', '--config', file], env);

    expect(run.code).toBe(EXIT.error);
    expect(run.stderr.split('\n')[0]).toBe(
      "error: option '--reason <reason>' argument 'oops' is invalid. Allowed choices are keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, aACompromise, unspecified.",
    );
    expect(run.stdout).toBe('');
    expect(revokeCallsOf(certificate)).toEqual([]);
  });
});

describe('certwarden revoke at a terminal', () => {
  const asIfTyped = (answer: boolean) => {
    const questions: string[] = [];
    return { questions, confirm: async (question: string) => (questions.push(question), answer) };
  };
  const withCallerKeys = async <T>(work: () => Promise<T>): Promise<T> => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return await work();
    } finally {
      process.env = saved;
    }
  };

  it('asks, naming the serial and the CA, and revokes nothing unless the answer is yes', async () => {
    const certificate = await imported('asked.example.com');
    const { file } = await syncedConfig();
    const declined = asIfTyped(false);
    const accepted = asIfTyped(true);
    const options = { reason: 'keyCompromise' as const, config: file };
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    try {
      await expect(withCallerKeys(() => revokeCommand(certificate.arn, options, declined.confirm))).rejects.toThrow(
        'not confirmed: nothing revoked',
      );
      expect(revokeCallsOf(certificate)).toEqual([]);
      await expect(withCallerKeys(() => revokeCommand(certificate.arn, options, accepted.confirm))).resolves.toBe(
        EXIT.ok,
      );
    } finally {
      write.mockRestore();
    }

    expect(declined.questions).toEqual([
      `Revoke serial ${certificate.issued!.serial.toUpperCase()} at ${authority.arn} (keyCompromise)? It cannot be undone.`,
    ]);
    expect(revokeCallsOf(certificate)).toHaveLength(1);
  });
});
