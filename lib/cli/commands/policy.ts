import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CertificateRecord } from '../../domain/certificate';
import { CertificateParseError, CertwardenError } from '../../domain/errors';
import { resolveOwner } from '../../domain/owner';
import {
  evaluatePolicy,
  indexByPublicKey,
  sameKeyAs,
  SEVERITIES,
  severityRank,
  violatesAtOrAbove,
  type CompiledPolicy,
  type PolicyEvaluation,
  type PolicyLocation,
  type PolicySubject,
  type ScopeMatch,
  type Severity,
  type Violation,
} from '../../domain/policy';
import type { Clock } from '../../ports/clock';
import type { StoredLocation } from '../../ports/inventory-store';
import { keySharingOf } from '../../use-cases/enforce-policy';
import { parseCertificates } from '../../x509/parse';
import { describeIoError } from '../io-errors';
import type { openInventory, StoreOptions } from '../open-inventory';
import type { CheckOptions } from '../policy-commands';
import { POLICY_EXIT } from '../policy-commands';
import type { LoadedPolicy } from '../policy-files';

/** What `policy check` and `policy explain` write to and read from (the command's dependencies, resolved). */
export interface PolicyRun {
  out: (text: string) => void;
  warn: (text: string) => void;
  clock: Clock;
  cwd: string;
  openInventory: typeof openInventory;
}

interface CheckedCertificate {
  file: string;
  record: CertificateRecord;
  evaluation: PolicyEvaluation;
}

export async function check(
  io: PolicyRun,
  paths: string[],
  options: CheckOptions,
  { policy, source }: LoadedPolicy,
): Promise<number> {
  const { out, warn, clock, cwd } = io;
  const now = clock.now();
  const location = checkLocation(options);
  const certificates: Array<{ file: string; record: CertificateRecord }> = [];
  const errors: Array<{ file: string; message: string }> = [];
  const unreadable = (file: string, message: string) => {
    errors.push({ file, message });
    warn(message);
  };
  for (const file of paths) {
    try {
      const path = resolve(cwd, file);
      if ((await stat(path)).isDirectory()) throw new CertwardenError(`${file}: is a directory`);
      const parsed = parseCertificates(await readFile(path), file);
      // A block that could not be read is an input the gate could not judge, as a whole unreadable file is.
      for (const problem of parsed.problems) unreadable(file, `${file}: ${problem}`);
      for (const { record } of parsed.certificates) certificates.push({ file, record });
    } catch (error) {
      const message =
        error instanceof CertificateParseError || error instanceof CertwardenError
          ? error.message
          : `${file}: ${describeIoError(error)}`;
      unreadable(file, message);
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
      // A gate before deployment: the certificate is about to be used, so one out of its validity period fails.
      { now, sameKeyElsewhere: sameKeyAs(byKey, record), deploying: true },
    ),
  }));
  const violations = checked.flatMap(({ evaluation }) => evaluation.violations);
  const violated = options.failOn !== 'none' && violatesAtOrAbove(violations, options.failOn);
  // What could not be read cannot pass: the check fails whatever --fail-on says (exit 2, before 1).
  const failed = violated || errors.length > 0;
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
    out(`${summarize(checked, errors, options.failOn, violated, source)}\n`);
  }
  if (errors.length > 0) return POLICY_EXIT.error;
  return violated ? POLICY_EXIT.violations : POLICY_EXIT.ok;
}

export async function explain(
  io: PolicyRun,
  target: string,
  options: StoreOptions & { json?: boolean },
  { policy, source }: LoadedPolicy,
): Promise<number> {
  const { out, warn, clock } = io;
  const now = clock.now();
  const inventory = await io.openInventory({ store: options.store, table: options.table }, 'reads');
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
    // Key reuse as the inventory judges it, so explain agrees with `list --violations --rule key-reuse`.
    const sameKey = await keySharingOf(store, certificate);
    const explained = subjects.map((subject) => ({
      subject,
      issuer: policy.classifier.explain(subject),
      evaluation: evaluatePolicy(policy, subject, { now, ...sameKey }),
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

/** Widths of the mark (severity, EXEMPT, note) and rule columns; a longer value still gets one space. */
const MARK_WIDTH = 9;
const RULE_WIDTH = 30;
const column = (text: string, width: number) => (text.length < width ? text.padEnd(width) : `${text} `);
/** `policy explain`'s marks: pass, n/a, EXEMPT, note, FAIL, off. */
const EXPLAIN_MARK_WIDTH = 7;

const shortId = (record: CertificateRecord) => record.fingerprintSha256.slice(0, 12);

const displayName = (record: CertificateRecord) =>
  record.subjectCommonName ?? record.sans.dns[0] ?? (record.subject || '(empty subject)');

function violationLine(violation: Violation): string {
  const expired = violation.expiredExemption
    ? ` [exemption${violation.expiredExemption.id ? ` ${violation.expiredExemption.id}` : ''} expired ${violation.expiredExemption.expiresAt}]`
    : '';
  return `  ${column(violation.severity.toUpperCase(), MARK_WIDTH)}${column(violation.ruleId, RULE_WIDTH)}${violation.message}${expired}`;
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
        `  ${column('EXEMPT', MARK_WIDTH)}${column(violation.ruleId, RULE_WIDTH)}${violation.message} ` +
          `[${violation.severity}; exempted${exemption.id ? ` by ${exemption.id}` : ''} until ${exemption.expiresAt}: ${exemption.reason}]`,
      );
    if (options.notices)
      for (const notice of evaluation.notices)
        lines.push(`  ${column('note', MARK_WIDTH)}${column(notice.ruleId, RULE_WIDTH)}${notice.message}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function summarize(
  checked: CheckedCertificate[],
  errors: ReadonlyArray<{ file: string }>,
  failOn: Severity | 'none',
  violated: boolean,
  source: string,
): string {
  const unreadable = new Set(errors.map(({ file }) => file)).size;
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
  const verdict = unreadable
    ? `FAILED (${unreadable === 1 ? 'an input' : 'inputs'} could not be read)`
    : failOn === 'none'
      ? 'not failing (--fail-on none)'
      : violated
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
        `  ${column(mark, EXPLAIN_MARK_WIDTH)}${column(applied.ruleId, RULE_WIDTH)}${applied.severity}, set by ${applied.via.map((ref) => ref.name).join(' → ')}`,
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
      lines.push(`  ${column('off', EXPLAIN_MARK_WIDTH)}${column(ruleId, RULE_WIDTH)}disabled by ${scope.name}`);
  }
  return `${lines.join('\n')}\n`;
}
