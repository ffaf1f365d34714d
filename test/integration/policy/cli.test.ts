import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../../lib/adapters/dynamodb-meter';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import { registerPolicyCommands } from '../../../lib/cli/policy-commands';
import { RECOMMENDED_POLICY, type CompiledPolicy } from '../../../lib/domain/policy';
import type { OpenInventory } from '../../../lib/cli/open-inventory';
import type { CertificateSource, LocationMetadata, SourceEntry } from '../../../lib/ports/certificate-source';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { generateKeys, issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { derCertificate } from '../../support/der-certificate';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

let work: string;
let ca: IssuedCertificate;
let good: IssuedCertificate;
let weak: IssuedCertificate;
let long: IssuedCertificate;
let expired: IssuedCertificate;
let future: IssuedCertificate;

/** Runs `certwarden <args>` on a fresh program with only the policy commands, capturing output and exit code. */
async function certwarden(args: string[], inventory?: () => Promise<OpenInventory>): Promise<Run> {
  const run: Run = { code: undefined, stdout: '', stderr: '' };
  const program = new Command('certwarden').exitOverride();
  program.configureOutput({ writeOut: (text) => (run.stdout += text), writeErr: (text) => (run.stderr += text) });
  registerPolicyCommands(program, {
    openInventory: async () => {
      if (!inventory) throw new Error('this test opens no inventory');
      return inventory();
    },
    exit: (code) => (run.code = code),
    clock: fixedClock(NOW),
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
    cwd: work,
  });
  await program.parseAsync(args, { from: 'user' });
  return run;
}

const file = async (name: string, content: string | Uint8Array) => {
  await writeFile(join(work, name), content);
  return name;
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-policy-cli-'));
  ca = await issueCertificate({
    subject: 'CN=Policy Test CA,O=Example Corp',
    ca: true,
    key: { algorithm: 'EC', curve: 'P-384' },
    notBefore: new Date(NOW.getTime() - 100 * DAY),
    notAfter: new Date(NOW.getTime() + 3000 * DAY),
  });
  good = await issueCertificate({
    subject: 'CN=api.example.com',
    dns: ['api.example.com'],
    issuer: ca,
    notBefore: new Date(NOW.getTime() - 10 * DAY),
    notAfter: new Date(NOW.getTime() + 80 * DAY),
  });
  weak = await issueCertificate({
    subject: 'CN=legacy.example.com',
    dns: ['legacy.example.com'],
    key: { algorithm: 'RSA', bits: 1024, hash: 'SHA-1' },
    notBefore: new Date(NOW.getTime() - 10 * DAY),
    notAfter: new Date(NOW.getTime() + 80 * DAY),
  });
  long = await issueCertificate({
    subject: 'CN=long.example.com',
    dns: ['long.example.com'],
    issuer: ca,
    notBefore: new Date(NOW.getTime() - 10 * DAY),
    notAfter: new Date(NOW.getTime() + 490 * DAY),
  });
  expired = await issueCertificate({
    subject: 'CN=old.example.com',
    dns: ['old.example.com'],
    issuer: ca,
    notBefore: new Date(NOW.getTime() - 90 * DAY),
    notAfter: new Date(NOW.getTime() - 10 * DAY),
  });
  future = await issueCertificate({
    subject: 'CN=next.example.com',
    dns: ['next.example.com'],
    issuer: ca,
    notBefore: new Date(NOW.getTime() + 2 * DAY),
    notAfter: new Date(NOW.getTime() + 60 * DAY),
  });
  await file('good.pem', good.pem);
  await file('expired.pem', expired.pem);
  await file('future.pem', future.pem);
  await file('weak.pem', weak.pem);
  await file('long.der', long.der);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('certwarden policy check', () => {
  it('passes a compliant certificate: exit 0, one line for it and a summary', async () => {
    const run = await certwarden(['policy', 'check', 'good.pem']);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^good\.pem: api\.example\.com \([0-9a-f]{12}, private issuer\): compliant \(19 rules\)$/m,
    );
    expect(run.stdout).toContain('1 certificate checked against recommended (built in), 0 violations');
    expect(run.stdout).toContain('passed (--fail-on low)');
  });

  it('fails on violations, listing each with its severity, rule and a message naming the values', async () => {
    const run = await certwarden(['policy', 'check', 'good.pem', 'weak.pem']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^weak\.pem: legacy\.example\.com .*: 2 violations$/m);
    expect(run.stdout).toContain(
      '  HIGH     rsa-min-key-size              RSA key of 1024 bits; policy requires at least 2048 bits',
    );
    expect(run.stdout).toMatch(/HIGH {5}forbidden-signature-hashes +signed with sha1WithRSAEncryption \(SHA-1\)/);
    expect(run.stdout).toContain('2 violations (2 high)');
    expect(run.stdout).toContain('FAILED (--fail-on low)');
  });

  it.each([
    ['critical', 'weak.pem', 0],
    ['high', 'weak.pem', 1],
    ['high', 'long.der', 0],
    ['medium', 'long.der', 1],
    ['none', 'weak.pem', 0],
  ])('--fail-on %s with %s exits %i', async (level, path, code) => {
    const run = await certwarden(['policy', 'check', '--fail-on', level, path]);
    expect(run.code).toBe(code);
  });

  it('refuses an unknown --fail-on level', async () => {
    await expect(certwarden(['policy', 'check', '--fail-on', 'severe', 'good.pem'])).rejects.toThrow(
      /expected one of info, low, medium, high, critical or none/,
    );
  });

  it('names each unreadable path in one line, still evaluates the others, and exits 2', async () => {
    await file('garbage.pem', 'not a certificate\n');
    const run = await certwarden(['policy', 'check', 'missing.pem', 'garbage.pem', 'weak.pem', '.']);

    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'certwarden: missing.pem: no such file',
      expect.stringMatching(/^certwarden: garbage\.pem: no certificate found/),
      'certwarden: .: is a directory',
    ]);
    expect(run.stdout).toContain('weak.pem: legacy.example.com');
    expect(run.stdout).toContain('3 unreadable files');
    expect(run.code).toBe(2);
  });

  it.each([
    ['an expired', 'expired.pem', `expired ${new Date(NOW.getTime() - 10 * DAY).toISOString()}`],
    ['a not yet valid', 'future.pem', `not valid before ${new Date(NOW.getTime() + 2 * DAY).toISOString()}`],
  ])('fails %s certificate by default (no --use): a CRITICAL violation, exit 1', async (_name, path, what) => {
    const run = await certwarden(['policy', 'check', path]);

    expect(run.stdout).toContain(`  CRITICAL expired-or-revoked-in-use     ${what}: clients refuse it once deployed\n`);
    expect(run.stdout).toContain('1 violation (1 critical)');
    expect(run.stdout).toContain('FAILED (--fail-on low)');
    expect(run.code).toBe(1);
  });

  it('lets a policy that turns the validity rule off pass an expired certificate (checking an archive)', async () => {
    await file('archive.json', JSON.stringify({ rules: { 'expired-or-revoked-in-use': { enabled: false } } }));
    const run = await certwarden(['policy', 'check', '--policy', 'archive.json', 'expired.pem']);
    expect(run.stdout).toContain('passed (--fail-on low)');
    expect(run.code).toBe(0);
  });

  it('never says "passed" when an input could not be read: the input named on stderr, FAILED, exit 2', async () => {
    const run = await certwarden(['policy', 'check', 'good.pem', 'missing.pem']);

    expect(run.stderr).toBe('certwarden: missing.pem: no such file\n');
    expect(run.stdout).not.toMatch(/passed/);
    expect(run.stdout).toMatch(/, 1 unreadable file: FAILED \(an input could not be read\)$/m);
    expect(run.code).toBe(2);
  });

  it('fails on unreadable input even with --fail-on none', async () => {
    const run = await certwarden(['policy', 'check', '--fail-on', 'none', 'missing.pem']);
    expect(run.stdout).toMatch(/: FAILED \(an input could not be read\)$/m);
    expect(run.code).toBe(2);
  });

  it('treats a block that cannot be read in an otherwise readable file as unreadable input', async () => {
    await file('half.pem', `${good.pem}\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`);
    const run = await certwarden(['policy', 'check', 'half.pem']);

    expect(run.stderr).toMatch(/^certwarden: half\.pem: block 2 \(CERTIFICATE\): .+\n$/);
    expect(run.stdout).toContain('half.pem: api.example.com');
    expect(run.stdout).not.toMatch(/passed/);
    expect(run.code).toBe(2);
  });

  it('says failed in JSON when an input could not be read, listing it in errors', async () => {
    const run = await certwarden(['policy', 'check', '--json', 'good.pem', 'missing.pem']);

    expect(JSON.parse(run.stdout)).toMatchObject({
      failed: true,
      errors: [{ file: 'missing.pem', message: 'missing.pem: no such file' }],
    });
    expect(run.code).toBe(2);
  });

  it('prints JSON with every certificate, its violations, exemptions and notices', async () => {
    const run = await certwarden(['policy', 'check', '--json', 'good.pem', 'weak.pem']);

    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ policy: 'recommended (built in)', failOn: 'low', failed: true, errors: [] });
    expect(report.certificates).toHaveLength(2);
    expect(report.certificates[1]).toMatchObject({
      file: 'weak.pem',
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      issuerType: 'private',
      violations: [
        { ruleId: 'rsa-min-key-size', severity: 'high', details: { keySize: 1024 } },
        { ruleId: 'forbidden-signature-hashes', severity: 'high' },
      ],
      notices: [{ ruleId: 'quantum-vulnerable', severity: 'info' }],
    });
    expect(run.code).toBe(1);
  });

  it('lists notices with --notices, and they never fail the check', async () => {
    const run = await certwarden(['policy', 'check', '--notices', 'good.pem']);
    expect(run.stdout).toMatch(/note {5}quantum-vulnerable +EC P-256 key: quantum-vulnerable/);
    expect(run.code).toBe(0);
  });

  it('gives Ed25519 keys the quantum-vulnerable notice, and ML-DSA keys none (quantum-safe)', async () => {
    const ed = await issueCertificate({
      subject: 'CN=ed.example.com',
      dns: ['ed.example.com'],
      key: { algorithm: 'Ed25519' },
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 30 * DAY),
    });
    await file('ed25519.pem', ed.pem);
    await file(
      'ml-dsa.der',
      derCertificate({
        keyOid: '2.16.840.1.101.3.4.3.18',
        commonName: 'pq.example.com',
        issuerCommonName: 'PQ Test CA',
        notBefore: new Date(NOW.getTime() - DAY),
        notAfter: new Date(NOW.getTime() + 30 * DAY),
      }),
    );

    const run = await certwarden(['policy', 'check', '--json', 'ed25519.pem', 'ml-dsa.der']);

    const [edDsa, mlDsa] = JSON.parse(run.stdout).certificates;
    expect(edDsa.notices).toEqual([
      expect.objectContaining({
        ruleId: 'quantum-vulnerable',
        details: expect.objectContaining({ keyAlgorithm: 'Ed25519' }),
      }),
    ]);
    expect(mlDsa.notices).toEqual([]);
  });

  it('finds the same key in two of the files checked together', async () => {
    const keys = await generateKeys();
    const one = await issueCertificate({
      subject: 'CN=a.example.com',
      dns: ['a.example.com'],
      keys,
      issuer: ca,
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 30 * DAY),
    });
    const two = await issueCertificate({
      subject: 'CN=b.example.org',
      dns: ['b.example.org'],
      keys,
      issuer: ca,
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 30 * DAY),
    });
    await file('one.pem', one.pem);
    await file('two.pem', two.pem);

    const run = await certwarden(['policy', 'check', 'one.pem', 'two.pem']);

    expect(run.stdout).toMatch(
      /HIGH {5}key-reuse +public key [0-9a-f]{16}… also in 1 certificate for unrelated names \(b\.example\.org\)/,
    );
    expect(run.code).toBe(1);
  });

  describe('with a policy', () => {
    const policy = {
      rules: { 'forbidden-signature-hashes': { severity: 'critical' } },
      scopes: [{ name: 'prod', match: { tags: { env: 'prod' } }, rules: { 'no-self-signed': {} } }],
    };

    it('reads --policy, and evaluates the scopes the deployment context (--tag, --owner) selects', async () => {
      await file('policy.json', JSON.stringify(policy));
      const plain = await certwarden(['policy', 'check', '--policy', 'policy.json', '--json', 'weak.pem']);
      const prod = await certwarden([
        'policy',
        'check',
        '--policy',
        'policy.json',
        '--json',
        '--tag',
        'env=prod',
        '--owner',
        'web',
        'weak.pem',
      ]);

      const ruleIds = (run: Run) =>
        JSON.parse(run.stdout).certificates[0].violations.map((v: { ruleId: string }) => v.ruleId);
      expect(ruleIds(plain)).toEqual(['rsa-min-key-size', 'forbidden-signature-hashes']);
      expect(JSON.parse(plain.stdout).certificates[0].violations[1].severity).toBe('critical');
      expect(ruleIds(prod)).toEqual(['rsa-min-key-size', 'forbidden-signature-hashes', 'no-self-signed']);
      expect(JSON.parse(prod.stdout).certificates[0].scopes).toEqual(['prod']);
    });

    it('with deployment context, judges ownership: no owner tag and no --owner is unowned', async () => {
      const run = await certwarden(['policy', 'check', '--tag', 'env=dev', 'good.pem']);
      expect(run.stdout).toMatch(/MEDIUM {3}required-ownership +unowned/);
      const owned = await certwarden(['policy', 'check', '--tag', 'env=dev', '--tag', 'owner=payments', 'good.pem']);
      expect(owned.code).toBe(0);
    });

    it('finds certwarden.policy.json in the working directory, else the policy section of certwarden.config.json', async () => {
      await file(
        'certwarden.config.json',
        JSON.stringify({ sources: [], policy: { rules: { 'rsa-min-key-size': { enabled: false } } } }),
      );
      const fromConfig = await certwarden(['policy', 'check', 'weak.pem']);
      expect(fromConfig.stdout).toContain(`checked against ${join(work, 'certwarden.config.json')} (policy section)`);
      expect(fromConfig.stdout).not.toContain('rsa-min-key-size');

      await file(
        'certwarden.policy.json',
        JSON.stringify({ rules: { 'forbidden-signature-hashes': { enabled: false } } }),
      );
      const fromPolicy = await certwarden(['policy', 'check', 'weak.pem']);
      expect(fromPolicy.stdout).toContain(`checked against ${join(work, 'certwarden.policy.json')}`);
      expect(fromPolicy.stdout).toContain('rsa-min-key-size');
      expect(fromPolicy.stdout).not.toContain('forbidden-signature-hashes');
      await rm(join(work, 'certwarden.policy.json'));
      await rm(join(work, 'certwarden.config.json'));
    });

    it('refuses an invalid policy in one line naming the file, the rule and the field, exit 2', async () => {
      await file('bad-policy.json', JSON.stringify({ rules: { 'rsa-min-key-size': { params: { minBits: 'big' } } } }));
      const run = await certwarden(['policy', 'check', '--policy', 'bad-policy.json', 'good.pem']);

      expect(run.stderr).toBe(
        `certwarden: ${join(work, 'bad-policy.json')}: invalid policy: rules.rsa-min-key-size.params.minBits: Invalid input: expected number, received string\n`,
      );
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
    });

    it('reports an exempted violation as exempted, with its reason and expiry, and does not fail on it', async () => {
      const fingerprint = parseCertificates(weak.pem, 'weak').certificates[0].record.fingerprintSha256;
      await file(
        'exempt.json',
        JSON.stringify({
          exemptions: [
            {
              id: 'SEC-9',
              rules: ['rsa-min-key-size', 'forbidden-signature-hashes'],
              fingerprints: [fingerprint],
              reason: 'lab appliance',
              expires: '2026-12-31',
            },
          ],
        }),
      );
      const run = await certwarden(['policy', 'check', '--policy', 'exempt.json', 'weak.pem']);

      expect(run.stdout).toMatch(
        /EXEMPT {3}rsa-min-key-size +RSA key of 1024 bits.*\[high; exempted by SEC-9 until 2027-01-01T00:00:00.000Z: lab appliance\]/,
      );
      expect(run.stdout).toContain('0 violations, 2 exempted');
      expect(run.code).toBe(0);
    });

    it('shows an expired exemption on the violation it no longer covers', async () => {
      const fingerprint = parseCertificates(weak.pem, 'weak').certificates[0].record.fingerprintSha256;
      await file(
        'expired.json',
        JSON.stringify({
          exemptions: [
            {
              id: 'SEC-8',
              rules: ['rsa-min-key-size'],
              fingerprints: [fingerprint],
              reason: 'r',
              expires: '2026-05-01',
            },
          ],
        }),
      );
      const run = await certwarden(['policy', 'check', '--policy', 'expired.json', 'weak.pem']);

      expect(run.stdout).toMatch(/HIGH {5}rsa-min-key-size .*\[exemption SEC-8 expired 2026-05-02T00:00:00.000Z\]/);
      expect(run.code).toBe(1);
    });
  });
});

describe('certwarden policy explain', () => {
  let server: EmbeddedDynamoDb;
  let client: DynamoDBDocumentClient;
  let inventory: () => Promise<OpenInventory>;
  const places: Array<{ nativeId: string; pem: string; metadata: LocationMetadata }> = [];

  beforeAll(async () => {
    server = await startEmbeddedDynamoDb();
    client = createDocumentClient({ endpoint: server.endpoint });
    await ensureInventoryTable(client, 'policy-explain');
    const store = new DynamoInventoryStore(client, 'policy-explain');
    inventory = async () => ({
      store,
      client,
      tableName: 'policy-explain',
      meter: new DynamoDbMeter(),
      description: 'test',
      close: async () => {},
    });
    places.push(
      {
        nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/weak',
        pem: weak.pem,
        metadata: {
          owner: 'payments',
          tags: { owner: 'payments', env: 'prod' },
          account: '111111111111',
          inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/1'],
          renewal: 'manual',
        },
      },
      {
        nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/good',
        pem: good.pem,
        metadata: { owner: 'unowned', tags: {}, account: '111111111111' },
      },
    );
    const source: CertificateSource = {
      kind: 'aws-acm',
      name: 'prod-acm',
      async *list() {
        for (const place of places) {
          const entry: SourceEntry = {
            nativeId: place.nativeId,
            scope: '111111111111/eu-west-1',
            role: 'leaf',
            certificate: parseCertificates(place.pem, place.nativeId).certificates[0],
            metadata: place.metadata,
          };
          yield entry;
        }
      },
    };
    const report = await syncSource({ source, store, clock: fixedClock(NOW) });
    expect(report.counts.discovered).toBe(2);
    await file(
      'explain-policy.json',
      JSON.stringify({
        rules: { 'rsa-min-key-size': { severity: 'medium' } },
        scopes: [
          {
            name: 'production',
            match: { tags: { env: 'prod' } },
            rules: { 'rsa-min-key-size': { severity: 'critical' } },
          },
        ],
      }),
    );
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('shows, for a location, which rules applied, from which scope, with which parameters, and why', async () => {
    const run = await certwarden(
      ['policy', 'explain', '--policy', 'explain-policy.json', `aws-acm:${places[0].nativeId}`],
      inventory,
    );

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Location aws-acm:${places[0].nativeId}`);
    expect(run.stdout).toContain('  source prod-acm (aws-acm), account 111111111111, owner payments');
    expect(run.stdout).toContain('  issuer is private: a self-signed end-entity certificate');
    expect(run.stdout).toContain('  scopes matched (later ones win): production [tag env=prod]');
    expect(run.stdout).toMatch(
      / {2}FAIL {3}rsa-min-key-size +critical, set by built-in → rules → production\n {9}params: minBits=2048 caMinBits=3072\n {9}RSA key of 1024 bits/,
    );
    expect(run.stdout).toMatch(/ {2}pass {3}expired-or-revoked-in-use +critical, set by built-in/);
    expect(run.stdout).toMatch(/ {2}pass {3}key-reuse +high, set by built-in\n {9}params: allowSameNames=true\n/);
    expect(run.stdout).toMatch(/ {2}off {4}allowed-domains +disabled by built-in/);
  });

  it('takes a fingerprint (colons allowed) and explains each live place of it', async () => {
    const fingerprint = parseCertificates(good.pem, 'good').certificates[0].record.fingerprintSha256;
    const run = await certwarden(
      ['policy', 'explain', '--json', fingerprint.toUpperCase().match(/../g)!.join(':')],
      inventory,
    );

    const explained = JSON.parse(run.stdout);
    expect(explained.certificate.fingerprint).toBe(fingerprint);
    expect(explained.evaluations).toHaveLength(1);
    expect(explained.evaluations[0]).toMatchObject({
      location: `aws-acm:${places[1].nativeId}`,
      issuerType: 'private',
      issuerTypeReason: 'issuer in none of the publicIssuers lists',
      scopes: [],
      violations: [
        { ruleId: 'required-ownership', severity: 'medium', message: 'unowned (no owner tag and no default owner)' },
      ],
    });
    expect(run.code).toBe(0);
  });

  describe('judges key reuse as the inventory does', () => {
    /** Syncs two certificates for unrelated names on one key into a source of their own; returns their places. */
    async function sharedKeySource(name: string, policy?: CompiledPolicy): Promise<[string, string]> {
      const keys = await generateKeys();
      const issued = await Promise.all(
        ['a', 'b'].map((label) =>
          issueCertificate({
            subject: `CN=${label}.${name}.example`,
            dns: [`${label}.${name}.example`],
            keys,
            issuer: ca,
            notBefore: new Date(NOW.getTime() - DAY),
            notAfter: new Date(NOW.getTime() + 60 * DAY),
          }),
        ),
      );
      const source: CertificateSource = {
        kind: 'aws-acm',
        name,
        async *list() {
          for (const [i, certificate] of issued.entries())
            yield {
              nativeId: `arn:aws:acm:eu-west-1:222222222222:certificate/${name}-${i}`,
              scope: '222222222222/eu-west-1',
              role: 'leaf',
              certificate: parseCertificates(certificate.pem, name).certificates[0],
              metadata: { owner: 'web', tags: { owner: 'web' }, account: '222222222222' },
            } satisfies SourceEntry;
        },
      };
      const { store } = await inventory();
      await syncSource({ source, store, clock: fixedClock(NOW), policy });
      return [0, 1].map((i) => `aws-acm:arn:aws:acm:eu-west-1:222222222222:certificate/${name}-${i}`) as [
        string,
        string,
      ];
    }

    it('shows the key-reuse violation the inventory holds (a source synced with a policy)', async () => {
      const [first] = await sharedKeySource('with-policy', RECOMMENDED_POLICY);
      const { store } = await inventory();
      expect((await store.violationsAt(first)).map((violation) => violation.ruleId)).toContain('key-reuse');

      const run = await certwarden(['policy', 'explain', first], inventory);

      expect(run.stdout).toMatch(
        / {2}FAIL {3}key-reuse +high, set by built-in\n {9}params: allowSameNames=true\n {9}public key [0-9a-f]{16}… also in 1 certificate for unrelated names \(b\.with-policy\.example\)/,
      );
      expect(run.code).toBe(0);
    });

    it('reads the places with the key when the inventory keeps no register of keys (synced without a policy)', async () => {
      const [first] = await sharedKeySource('no-policy');

      const run = await certwarden(['policy', 'explain', '--json', first], inventory);

      expect(JSON.parse(run.stdout).evaluations[0].violations).toContainEqual(
        expect.objectContaining({ ruleId: 'key-reuse', details: expect.objectContaining({ sharedWithCount: 1 }) }),
      );
    });
  });

  it.each([
    [
      'an unknown location',
      'aws-acm:nothing',
      'certwarden: no location "aws-acm:nothing" in the inventory (give a location id or a SHA-256 fingerprint)\n',
    ],
    [
      'an unknown fingerprint',
      'f'.repeat(64),
      `certwarden: no certificate with fingerprint ${'f'.repeat(64)} in the inventory\n`,
    ],
  ])('says so in one line for %s, exit 1', async (_name, target, message) => {
    const run = await certwarden(['policy', 'explain', target], inventory);
    expect(run.stderr).toBe(message);
    expect(run.code).toBe(1);
  });
});
