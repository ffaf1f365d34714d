import type { CertificateRecord } from '../../lib/domain/certificate';
import {
  compilePolicy,
  evaluatePolicy,
  EXAMPLE_POLICY,
  indexByPublicKey,
  RECOMMENDED_POLICY,
  sameKeyAs,
  type CompiledPolicy,
  type PolicyLocation,
  type PolicySubject,
} from '../../lib/domain/policy';
import { generateKeys, issueCertificate, type KeySpec } from '../../lib/x509/factory';
import { parseCertificates } from '../../lib/x509/parse';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const RECORDS = 100_000;
/** Certificates per second the engine must sustain: a 100,000-certificate inventory in at most a second. */
const TARGET_PER_SECOND = 100_000;
const DAY = 86_400_000;

/**
 * Evaluates 100,000 subjects (real records varied in names, dates, keys and places: tags, accounts, sources,
 * usage, renewal) under the recommended policy and under the documented example (scopes and an exemption),
 * with the cross-certificate key index as the key-reuse view. Reports certificates per second of
 * `evaluatePolicy` alone (building the subjects and the index is not timed; building the index is reported).
 */
export async function benchPolicy(): Promise<BenchRow[]> {
  const subjects = await makeSubjects(RECORDS);
  const indexStarted = process.hrtime.bigint();
  const byKey = indexByPublicKey(subjects.map((subject) => subject.certificate));
  const indexMs = Number(process.hrtime.bigint() - indexStarted) / 1e6;
  const contexts = subjects.map((subject) => ({
    now: new Date('2026-06-01T00:00:00Z'),
    sameKeyElsewhere: sameKeyAs(byKey, subject.certificate),
  }));

  const rows: BenchRow[] = [{ figure: 'policy: key index over 100,000 records', value: `${indexMs.toFixed(0)} ms` }];
  for (const [name, policy] of [
    ['recommended policy', RECOMMENDED_POLICY],
    ['example policy (3 scopes, 1 exemption)', compilePolicy(EXAMPLE_POLICY)],
  ] as Array<[string, CompiledPolicy]>) {
    run(policy, subjects, contexts); // warm-up
    (globalThis as { gc?: () => void }).gc?.(); // `npm run bench` exposes it: start each policy with a clean heap
    const { seconds, violations, notices } = bestOf(3, () => run(policy, subjects, contexts));
    const rate = subjects.length / seconds;
    rows.push({
      figure: `policy: evaluatePolicy, ${name}: certificates/s`,
      value: `${rate.toFixed(0)} (100,000 in ${(seconds * 1000).toFixed(0)} ms; ${violations} violations, ${notices} notices)`,
      target: `≥ ${TARGET_PER_SECOND.toLocaleString('en')}/s`,
      met: rate >= TARGET_PER_SECOND,
    });
  }
  return rows;
}

function run(
  policy: CompiledPolicy,
  subjects: PolicySubject[],
  contexts: Array<Parameters<typeof evaluatePolicy>[2]>,
): { seconds: number; violations: number; notices: number } {
  let violations = 0;
  let notices = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < subjects.length; i++) {
    const result = evaluatePolicy(policy, subjects[i], contexts[i]);
    violations += result.violations.length;
    notices += result.notices.length;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, violations, notices };
}

function bestOf<T extends { seconds: number }>(times: number, work: () => T): T {
  let best: T | undefined;
  for (let i = 0; i < times; i++) {
    const result = work();
    if (!best || result.seconds < best.seconds) best = result;
  }
  return best!;
}

/** A few dozen real certificates of varied shapes, then `count` subjects derived from them. */
async function makeSubjects(count: number): Promise<PolicySubject[]> {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const ca = await issueCertificate({
    subject: 'CN=Bench CA,O=Example Corp',
    ca: true,
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now + 3000 * DAY),
  });
  const shapes: Array<{ key: KeySpec; days: number; selfSigned?: boolean }> = [
    { key: { algorithm: 'EC', curve: 'P-256' }, days: 90 },
    { key: { algorithm: 'EC', curve: 'P-384' }, days: 365 },
    { key: { algorithm: 'RSA', bits: 2048 }, days: 398 },
    { key: { algorithm: 'RSA', bits: 1024, hash: 'SHA-1' }, days: 700, selfSigned: true },
    { key: { algorithm: 'Ed25519' }, days: 47 },
  ];
  const templates: CertificateRecord[] = [];
  for (const [index, shape] of shapes.entries()) {
    const keys = await generateKeys(shape.key);
    for (let i = 0; i < 4; i++) {
      const name = `svc-${index}-${i}.example.com`;
      const issued = await issueCertificate({
        subject: `CN=${name}`,
        dns: i === 3 ? [`*.${name}`] : [name],
        key: shape.key,
        keys,
        issuer: shape.selfSigned ? undefined : ca,
        notBefore: new Date(now - 20 * DAY),
        notAfter: new Date(now - 20 * DAY + shape.days * DAY),
      });
      templates.push(parseCertificates(issued.pem, name).certificates[0].record);
    }
  }
  templates.push(parseCertificates(ca.pem, 'ca').certificates[0].record);

  const sources = ['prod-acm', 'dev-acm', 'vaults', 'files'];
  const envs = ['prod', 'production', 'staging', 'dev'];
  const subjects: PolicySubject[] = [];
  for (let i = 0; i < count; i++) {
    const template = templates[i % templates.length];
    const hex = i.toString(16).padStart(8, '0');
    const name = `host-${i}.example.com`;
    // One record in 50 shares its key with the record 50 before it (key reuse for the index to find).
    const publicKeySha256 =
      i % 50 === 49
        ? `${(i - 49).toString(16).padStart(8, '0')}${template.publicKeySha256.slice(8)}`
        : `${hex}${template.publicKeySha256.slice(8)}`;
    const certificate: CertificateRecord = {
      ...template,
      fingerprintSha256: `${hex}${template.fingerprintSha256.slice(8)}`,
      publicKeySha256,
      subject: template.isCA ? template.subject : `CN=${name}`,
      subjectCommonName: template.isCA ? template.subjectCommonName : name,
      sans: template.isCA ? template.sans : { ...template.sans, dns: [name, `www.${name}`] },
      notAfter: new Date(Date.parse(template.notAfter) - (i % 120) * DAY).toISOString(),
    };
    const location: PolicyLocation | undefined =
      i % 10 === 0
        ? undefined
        : {
            locationId: `aws-acm:arn:aws:acm:eu-west-1:${String(i % 7).repeat(12)}:certificate/${hex}`,
            source: sources[i % sources.length],
            sourceKind: i % 3 === 0 ? 'azure-key-vault' : 'aws-acm',
            account: String(i % 7).repeat(12),
            owner: i % 13 === 0 ? 'unowned' : `team-${i % 20}`,
            tags: {
              env: envs[i % envs.length],
              owner: `team-${i % 20}`,
              ...(i % 4 ? { application: `app-${i % 30}` } : {}),
            },
            inUseBy: i % 3 === 0 ? [`arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/lb-${i % 40}/1`] : [],
            renewal: i % 5 === 0 ? 'manual' : 'acm-managed',
            managed: i % 5 !== 0,
          };
    subjects.push({ certificate, location, ...(i % 97 === 0 ? { revocation: { status: 'revoked' as const } } : {}) });
  }
  return subjects;
}

// Run directly (`node lib/cli/bin/run-ts.js test/bench/policy.ts`): the entry run-ts.js requires is this module.
if (require.main === module || require.main?.children.includes(module)) {
  void benchPolicy().then((rows) => {
    for (const row of rows)
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
  });
}
