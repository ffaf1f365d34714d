import { existsSync, readFileSync } from 'node:fs';
import { describeIoError } from './io-errors';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CertificateRecord } from '../domain/certificate';
import { CertificateParseError, CertwardenError } from '../domain/errors';
import { resolveOwner } from '../domain/owner';
import {
  compilePolicy,
  evaluatePolicy,
  indexByPublicKey,
  sameKeyAs,
  SEVERITIES,
  severityRank,
  violatesAtOrAbove,
  PolicyError,
  RECOMMENDED_POLICY,
  type CertificateUse,
  type CompiledPolicy,
  type PolicyEvaluation,
  type PolicyLocation,
  type PolicySubject,
  type ScopeMatch,
  type Severity,
  type Violation,
} from '../domain/policy';
import { systemClock, type Clock } from '../ports/clock';
import type { StoredLocation } from '../ports/inventory-store';
import { parseCertificates } from '../x509/parse';
import type { openInventory, StoreOptions } from './open-inventory';

/** Exit codes of the policy commands. */
export const POLICY_EXIT = {
  /** Everything evaluated; no violation at or above `--fail-on`. */
  ok: 0,
  /** A violation at or above `--fail-on` (check), or the fingerprint or location is not in the inventory (explain). */
  violations: 1,
  /** Input that could not be used: an unreadable certificate file, an invalid policy. Takes precedence over 1. */
  error: 2,
} as const;

/** The severity at or above which `policy check` fails. @default 'low' (so `info` violations never fail) */
export const DEFAULT_FAIL_ON: Severity = 'low';

/** Policy files looked for in the working directory when `--policy` is not given, before the configuration. */
export const POLICY_FILE_NAMES = ['certwarden.policy.json'];
const CONFIG_FILE_NAMES = ['certwarden.config.json', 'certwarden.config.ts'];

export interface PolicyCommandDeps {
  /** Opens the inventory for `policy explain`: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
  /** Where relative paths and the default policy files are looked for. @default process.cwd() */
  cwd?: string;
}

interface LoadedPolicy {
  policy: CompiledPolicy;
  /** Where it came from, for people: a path, `<path> (policy section)`, or `recommended (built in)`. */
  source: string;
}

/**
 * Reads the policy: the `--policy` file (a policy, or a certwarden configuration whose `policy` section is used),
 * else `certwarden.policy.json` in the working directory, else the `policy` section of `certwarden.config.json`
 * or `.ts` there, else the recommended policy.
 * @throws PolicyError naming the file and every problem.
 */
export function loadPolicy(path: string | undefined, cwd: string): LoadedPolicy {
  if (path !== undefined) return readPolicyFile(resolve(cwd, path), true)!;
  for (const name of POLICY_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return readPolicyFile(file, true)!;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) {
      const loaded = readPolicyFile(file, false);
      if (loaded) return loaded;
    }
  }
  return { policy: RECOMMENDED_POLICY, source: 'recommended (built in)' };
}

function readPolicyFile(file: string, required: boolean): LoadedPolicy | undefined {
  if (!existsSync(file)) throw new PolicyError(`${file}: no such policy file`);
  let raw: unknown;
  try {
    // A .ts or .js policy exports its object; it runs through the TypeScript loader in use, as the config does.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    raw = file.endsWith('.json') ? JSON.parse(readFileSync(file, 'utf8')) : unwrapDefault(require(file));
  } catch (error) {
    throw new PolicyError(`${file}: cannot read: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  // A configuration file carries its policy in `policy`; a policy file never has that key.
  const isConfig = raw !== null && typeof raw === 'object' && 'policy' in raw;
  if (!isConfig && !required) return undefined;
  const content = isConfig ? (raw as { policy: unknown }).policy : raw;
  const source = isConfig ? `${file} (policy section)` : file;
  try {
    return { policy: compilePolicy(content), source };
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyError(`${source}: ${error.message}`, { cause: error });
    throw error;
  }
}

const unwrapDefault = (module: unknown): unknown =>
  module && typeof module === 'object' && 'default' in module ? (module as { default: unknown }).default : module;

const failOnLevel = (value: string): Severity | 'none' => {
  if (value === 'none' || (SEVERITIES as readonly string[]).includes(value)) return value as Severity | 'none';
  throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')} or none`);
};

const USES: readonly CertificateUse[] = ['tls-server', 'tls-client', 'code-signing', 'smime'];

const collectTag = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
};

const collectUse = (value: string, previous: CertificateUse[] = []): CertificateUse[] => {
  if (!(USES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${USES.join(', ')}`);
  return [...previous, value as CertificateUse];
};

interface CheckOptions {
  policy?: string;
  json?: boolean;
  failOn: Severity | 'none';
  notices?: boolean;
  tag?: Record<string, string>;
  owner?: string;
  account?: string;
  source?: string;
  use?: CertificateUse[];
}

interface CheckedCertificate {
  file: string;
  record: CertificateRecord;
  evaluation: PolicyEvaluation;
}

/**
 * Adds `certwarden policy check` and `certwarden policy explain` to a program.
 *
 * - `check <path...>`: evaluates certificate files (PEM, DER, PKCS#7; every certificate in each) against the
 *   policy, with optional deployment context (`--tag env=prod`, `--owner`, `--use tls-server`, …) so that scoped
 *   rules apply as they will in the inventory; a CI gate before a certificate is deployed. Exit 1 on a violation
 *   at or above `--fail-on` (default `low`), 2 when a file is unreadable (the others are still evaluated) or the
 *   policy is invalid.
 * - `explain <fingerprint|location>`: which rules applied to a certificate of the inventory, from which scope, with
 *   which parameters, and why each passed, failed or did not apply.
 */
export function registerPolicyCommands(program: Command, deps: PolicyCommandDeps): Command {
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const errOut = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const warn = (text: string) => errOut(`certwarden: ${text}\n`);
  const clock = deps.clock ?? systemClock;
  const cwd = () => deps.cwd ?? process.cwd();
  const policyOption = () =>
    new Option('--policy <file>', 'policy file, or a certwarden config with a policy section').env('CERTWARDEN_POLICY');

  const withPolicy = async (path: string | undefined, work: (loaded: LoadedPolicy) => Promise<number>) => {
    let loaded: LoadedPolicy;
    try {
      loaded = loadPolicy(path, cwd());
    } catch (error) {
      warn((error as Error).message);
      return POLICY_EXIT.error;
    }
    return work(loaded);
  };

  const policy = program.command('policy').description('check certificates against the certificate policy');

  policy
    .command('check')
    .description('evaluate certificate files against the policy; exit 1 on a violation at or above --fail-on')
    .argument('<path...>', 'certificate files (PEM, DER, PKCS#7)')
    .addOption(policyOption())
    .option('--json', 'print JSON')
    .addOption(
      new Option(
        '--fail-on <severity>',
        `fail on violations of this severity or worse (${SEVERITIES.join(', ')}, none)`,
      )
        .argParser(failOnLevel)
        .default(DEFAULT_FAIL_ON),
    )
    .option('--notices', 'also list notices (informational findings)')
    .option('--tag <key=value>', 'a tag the place will carry (repeatable): scopes match on it', collectTag)
    .option('--owner <owner>', 'owner of the place (default: from the owner tag)')
    .option('--account <account>', 'account, subscription or project of the place')
    .option('--source <name>', 'source name of the place')
    .option('--use <use>', `what will use it (repeatable): ${USES.join(', ')}`, collectUse)
    .action(async (paths: string[], options: CheckOptions) =>
      deps.exit(await withPolicy(options.policy, (loaded) => check(paths, options, loaded))),
    );

  policy
    .command('explain')
    .description('show which rules apply to an inventoried certificate or place, from which scope, and why')
    .argument('<target>', 'a SHA-256 fingerprint, or a location id (as `certwarden list --json` shows)')
    .addOption(policyOption())
    .option('--json', 'print JSON')
    .addOption(new Option('--store <target>', '"embedded", "aws", or a DynamoDB endpoint URL').env('CERTWARDEN_STORE'))
    .addOption(new Option('--table <name>', 'inventory table name').env('CERTWARDEN_TABLE'))
    .action(async (target: string, options: StoreOptions & { policy?: string; json?: boolean }) =>
      deps.exit(await withPolicy(options.policy, (loaded) => explain(target, options, loaded))),
    );

  async function check(paths: string[], options: CheckOptions, { policy, source }: LoadedPolicy): Promise<number> {
    const now = clock.now();
    const location = checkLocation(options);
    const certificates: Array<{ file: string; record: CertificateRecord }> = [];
    const errors: Array<{ file: string; message: string }> = [];
    for (const file of paths) {
      try {
        const path = resolve(cwd(), file);
        if ((await stat(path)).isDirectory()) throw new CertwardenError(`${file}: is a directory`);
        const parsed = parseCertificates(await readFile(path), file);
        for (const problem of parsed.problems) warn(`${file}: ${problem}`);
        for (const { record } of parsed.certificates) certificates.push({ file, record });
      } catch (error) {
        const message =
          error instanceof CertificateParseError || error instanceof CertwardenError
            ? error.message
            : `${file}: ${describeIoError(error)}`;
        errors.push({ file, message });
        warn(message);
      }
    }
    // The files checked together are the cross-certificate view: one key in two of them is key reuse.
    const byKey = indexByPublicKey(certificates.map(({ record }) => record));
    const checked: CheckedCertificate[] = certificates.map(({ file, record }) => ({
      file,
      record,
      evaluation: evaluatePolicy(
        policy,
        { certificate: record, location },
        { now, sameKeyElsewhere: sameKeyAs(byKey, record) },
      ),
    }));
    const violations = checked.flatMap(({ evaluation }) => evaluation.violations);
    const failed = options.failOn !== 'none' && violatesAtOrAbove(violations, options.failOn);
    if (options.json) {
      out(
        `${JSON.stringify(
          {
            policy: source,
            failOn: options.failOn,
            failed,
            certificates: checked.map(({ file, record, evaluation }) => ({
              file,
              fingerprint: record.fingerprintSha256,
              subject: record.subject,
              issuerType: evaluation.issuerType,
              scopes: evaluation.matchedScopes.map((scope) => scope.name),
              violations: evaluation.violations,
              exemptions: evaluation.exemptions,
              notices: evaluation.notices,
            })),
            errors,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      out(renderCheck(checked, { notices: options.notices ?? false }));
      out(`${summarize(checked, errors.length, options.failOn, failed, source)}\n`);
    }
    if (errors.length > 0) return POLICY_EXIT.error;
    return failed ? POLICY_EXIT.violations : POLICY_EXIT.ok;
  }

  async function explain(
    target: string,
    options: StoreOptions & { json?: boolean },
    { policy, source }: LoadedPolicy,
  ): Promise<number> {
    const now = clock.now();
    const inventory = await deps.openInventory({ store: options.store, table: options.table });
    try {
      const { store } = inventory;
      let record: CertificateRecord | undefined;
      let places: StoredLocation[] = [];
      const fingerprint = /^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/.test(target)
        ? target.replace(/:/g, '').toLowerCase()
        : undefined;
      if (fingerprint) {
        record = stripPem(await store.getCertificate(fingerprint));
        if (!record) {
          warn(`no certificate with fingerprint ${fingerprint} in the inventory`);
          return POLICY_EXIT.violations;
        }
        for await (const place of store.locationsOfCertificate(fingerprint))
          if (place.status === 'live') places.push(place);
      } else {
        const place = await store.getLocation(target);
        if (!place) {
          warn(`no location "${target}" in the inventory (give a location id or a SHA-256 fingerprint)`);
          return POLICY_EXIT.violations;
        }
        if (!place.fingerprint) {
          warn(`${target}: holds no readable certificate${place.error ? ` (${place.error})` : ''}`);
          return POLICY_EXIT.violations;
        }
        record = stripPem(await store.getCertificate(place.fingerprint));
        if (!record) {
          warn(`${target}: its certificate ${place.fingerprint} is missing from the inventory`);
          return POLICY_EXIT.violations;
        }
        places = [place];
      }
      const certificate = record;
      const subjects: PolicySubject[] = places.length
        ? places.map((place) => ({ certificate, location: place }))
        : [{ certificate }];
      const explained = subjects.map((subject) => ({
        subject,
        issuer: policy.classifier.explain(subject),
        evaluation: evaluatePolicy(policy, subject, { now }),
      }));
      if (options.json) {
        out(
          `${JSON.stringify(
            {
              policy: source,
              certificate: {
                fingerprint: certificate.fingerprintSha256,
                subject: certificate.subject,
                issuer: certificate.issuer,
              },
              evaluations: explained.map(({ subject, issuer, evaluation }) => ({
                location: subject.location?.locationId ?? null,
                issuerTypeReason: issuer.reason,
                scopes: evaluation.matchedScopes.map((scope) => ({
                  ...scope,
                  match: policy.config.scopes[scope.index].match,
                })),
                ...evaluation,
              })),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        out(renderExplanation(certificate, explained, policy, source));
      }
      return POLICY_EXIT.ok;
    } finally {
      await inventory.close();
    }
  }

  return policy;
}

function stripPem(stored: (CertificateRecord & { pem?: string }) | undefined): CertificateRecord | undefined {
  if (!stored) return undefined;
  const { pem: _pem, ...record } = stored;
  return record;
}

function checkLocation(options: CheckOptions): PolicyLocation | undefined {
  const given = options.tag || options.owner || options.account || options.source || options.use;
  if (!given) return undefined;
  const tags = options.tag ?? {};
  return {
    locationId: 'cli',
    source: options.source,
    account: options.account,
    tags,
    owner: options.owner ?? resolveOwner(tags),
    uses: options.use,
  };
}

const SEVERITY_LABEL = (severity: Severity) => severity.toUpperCase().padEnd(8);

const shortId = (record: CertificateRecord) => record.fingerprintSha256.slice(0, 12);

const displayName = (record: CertificateRecord) =>
  record.subjectCommonName ?? record.sans.dns[0] ?? (record.subject || '(empty subject)');

function violationLine(violation: Violation): string {
  const expired = violation.expiredExemption
    ? ` [exemption${violation.expiredExemption.id ? ` ${violation.expiredExemption.id}` : ''} expired ${violation.expiredExemption.expiresAt}]`
    : '';
  return `  ${SEVERITY_LABEL(violation.severity)}${violation.ruleId.padEnd(30)}${violation.message}${expired}`;
}

function renderCheck(checked: CheckedCertificate[], options: { notices: boolean }): string {
  const lines: string[] = [];
  for (const { file, record, evaluation } of checked) {
    const sorted = [...evaluation.violations].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    const state =
      sorted.length === 0
        ? `compliant (${evaluation.applied.length} rules${evaluation.exemptions.length ? `, ${evaluation.exemptions.length} exempted` : ''})`
        : `${sorted.length} violation${sorted.length > 1 ? 's' : ''}`;
    lines.push(`${file}: ${displayName(record)} (${shortId(record)}, ${evaluation.issuerType} issuer): ${state}`);
    for (const violation of sorted) lines.push(violationLine(violation));
    for (const { violation, exemption } of evaluation.exemptions)
      lines.push(
        `  ${'EXEMPT'.padEnd(8)}${violation.ruleId.padEnd(30)}${violation.message} ` +
          `[${violation.severity}; exempted${exemption.id ? ` by ${exemption.id}` : ''} until ${exemption.expiresAt}: ${exemption.reason}]`,
      );
    if (options.notices)
      for (const notice of evaluation.notices)
        lines.push(`  ${'note'.padEnd(8)}${notice.ruleId.padEnd(30)}${notice.message}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function summarize(
  checked: CheckedCertificate[],
  unreadable: number,
  failOn: Severity | 'none',
  failed: boolean,
  source: string,
): string {
  const violations = checked.flatMap(({ evaluation }) => evaluation.violations);
  const bySeverity = [...SEVERITIES]
    .reverse()
    .map((severity) => [severity, violations.filter((violation) => violation.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  const exempted = checked.reduce((sum, { evaluation }) => sum + evaluation.exemptions.length, 0);
  const notices = checked.reduce((sum, { evaluation }) => sum + evaluation.notices.length, 0);
  const parts = [
    `${checked.length} certificate${checked.length === 1 ? '' : 's'} checked against ${source}`,
    `${violations.length} violation${violations.length === 1 ? '' : 's'}${bySeverity.length ? ` (${bySeverity.join(', ')})` : ''}`,
    `${exempted} exempted`,
    `${notices} notice${notices === 1 ? '' : 's'}`,
    ...(unreadable ? [`${unreadable} unreadable file${unreadable === 1 ? '' : 's'}`] : []),
  ];
  const verdict =
    failOn === 'none'
      ? 'not failing (--fail-on none)'
      : failed
        ? `FAILED (--fail-on ${failOn})`
        : `passed (--fail-on ${failOn})`;
  return `${parts.join(', ')}: ${verdict}`;
}

function describeMatch(match: ScopeMatch): string {
  const parts: string[] = [];
  if (match.sources) parts.push(`source ${match.sources.join('|')}`);
  if (match.sourceKinds) parts.push(`source kind ${match.sourceKinds.join('|')}`);
  if (match.accounts) parts.push(`account ${match.accounts.join('|')}`);
  if (match.tags)
    for (const [key, value] of Object.entries(match.tags))
      parts.push(`tag ${key}=${Array.isArray(value) ? value.join('|') : value}`);
  if (match.kinds) parts.push(`kind ${match.kinds.join('|')}`);
  if (match.issuerType) parts.push(`${match.issuerType} issuer`);
  return parts.join(', ') || 'every certificate';
}

const formatParams = (params: Readonly<Record<string, unknown>>): string =>
  Object.entries(params)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');

function renderExplanation(
  certificate: CertificateRecord,
  explained: Array<{
    subject: PolicySubject;
    issuer: { issuerType: string; reason: string };
    evaluation: PolicyEvaluation;
  }>,
  policy: CompiledPolicy,
  source: string,
): string {
  const lines = [
    `Certificate ${certificate.fingerprintSha256}`,
    `  subject: ${certificate.subject || '(empty)'}`,
    `  issuer:  ${certificate.issuer || '(empty)'}`,
    `  kind:    ${certificate.kind}${certificate.isCA ? ' (CA)' : ''}${certificate.selfSigned ? ', self-signed' : ''}`,
    `Policy: ${source}`,
  ];
  for (const { subject, issuer, evaluation } of explained) {
    const location = subject.location;
    lines.push('');
    if (location) {
      const tags = Object.entries(location.tags ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      lines.push(`Location ${location.locationId}`);
      lines.push(
        `  source ${location.source} (${location.sourceKind})${location.account ? `, account ${location.account}` : ''}, owner ${location.owner ?? '(none)'}`,
      );
      lines.push(`  tags: ${tags || '(none)'}; in use by: ${location.inUseBy?.join(', ') || '(nothing known)'}`);
    } else {
      lines.push('No live location: evaluated as the certificate alone (rules about places do not apply)');
    }
    lines.push(`  issuer is ${issuer.issuerType}: ${issuer.reason}`);
    lines.push(
      evaluation.matchedScopes.length
        ? `  scopes matched (later ones win): ${evaluation.matchedScopes
            .map((scope) => `${scope.name} [${describeMatch(policy.config.scopes[scope.index].match)}]`)
            .join('; ')}`
        : '  scopes matched: none (top-level rules and defaults only)',
    );
    const exempted = new Map(evaluation.exemptions.map((entry) => [entry.violation.ruleId, entry]));
    for (const applied of evaluation.applied) {
      const { result } = applied;
      const mark =
        result.outcome === 'compliant'
          ? 'pass'
          : result.outcome === 'not-applicable'
            ? 'n/a'
            : exempted.has(applied.ruleId)
              ? 'EXEMPT'
              : applied.informational
                ? 'note'
                : 'FAIL';
      lines.push(
        `  ${mark.padEnd(7)}${applied.ruleId.padEnd(30)}${applied.severity}, set by ${applied.via.map((ref) => ref.name).join(' → ')}`,
      );
      const params = formatParams(applied.params);
      if (params) lines.push(`         params: ${params}`);
      if (result.outcome === 'not-applicable') lines.push(`         ${result.reason}`);
      if (result.outcome === 'violation') {
        lines.push(`         ${result.message}`);
        const entry = exempted.get(applied.ruleId);
        if (entry)
          lines.push(
            `         exempted${entry.exemption.id ? ` by ${entry.exemption.id}` : ''} until ${entry.exemption.expiresAt}: ${entry.exemption.reason}`,
          );
        const expired = evaluation.violations.find((v) => v.ruleId === applied.ruleId)?.expiredExemption;
        if (expired)
          lines.push(
            `         exemption${expired.id ? ` ${expired.id}` : ''} expired ${expired.expiresAt}: no longer applies`,
          );
      }
    }
    for (const { ruleId, scope } of evaluation.disabled)
      lines.push(`  ${'off'.padEnd(7)}${ruleId.padEnd(30)}disabled by ${scope.name}`);
  }
  return `${lines.join('\n')}\n`;
}
