import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { allowedBy, domainsCovering, issuedCertificateId, type CtAllowlist } from '../domain/certificate-transparency';
import type { CtConfig } from '../domain/ct-config';
import { unknownCertificateIssuedEvent, type UnknownCertificateIssuedDetail } from '../domain/events';
import type { AlertKey, AlertLedger } from '../ports/alert-ledger';
import type { Clock } from '../ports/clock';
import type { CtLog, CtPositions } from '../ports/ct-log';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import { readCtEntry, type CtLogEntry } from '../x509/ct-entry';

/** What the config's `ct` section tells a poll, as MonitorCtOptions takes it: the CLI and the handler share it. */
export const monitorSettingsOf = (ct: CtConfig) => ({
  domains: ct.domains,
  allowlist: ct.allowlist,
  startAt: ct.startAt,
  maxEntriesPerPoll: ct.maxEntriesPerPoll,
});

export interface MonitorCtOptions {
  logs: readonly CtLog[];
  positions: CtPositions;
  /** Remembers the findings raised (the alert ledger of the inventory table), so each is raised once. */
  ledger: AlertLedger;
  store: InventoryStore;
  clock: Clock;
  events?: EventPublisher;
  /** Certificates for these domains and the names under them are checked; the rest of a log is skipped. */
  domains: readonly string[];
  /** @default nothing allowed */
  allowlist?: CtAllowlist;
  /** Where a log never polled is read from. @default 'latest' */
  startAt?: 'latest' | 'first';
  /** Entries read from one log per poll at most. @default 10,000 */
  maxEntriesPerPoll?: number;
  signal?: AbortSignal;
}

/** What one poll did with one log. */
export interface CtLogReport {
  log: string;
  url: string;
  /** The position the poll started from and the one it stored (null when the log could not be read at all). */
  from: number | null;
  to: number | null;
  treeSize: number | null;
  /** Entries read and parsed. */
  read: number;
  /** Entries whose names fall under a monitored domain. */
  matched: number;
  /** Of those: held by the inventory, let through by the allowlist, or unknown. */
  known: number;
  allowlisted: number;
  unknown: number;
  /** Unknown ones raised now (the rest were raised before, from this or another log). */
  raised: number;
  /** Entries that could not be read (`entry 17: …`), at most MAX_UNREADABLE_LISTED of them; skipped for good. */
  unreadable: string[];
  /** Why the poll of this log stopped early, in one line; null when it read all it meant to. */
  error: string | null;
}

export interface CtPollReport {
  logs: CtLogReport[];
  /** The Unknown Certificate Issued events this poll published. */
  findings: UnknownCertificateIssuedDetail[];
}

const MAX_UNREADABLE_LISTED = 10;
/** Inventory and ledger requests in flight at once, per poll. */
const REQUESTS_IN_FLIGHT = 16;
/** How long a claimed finding is ours to publish before another poller may take it over (we crashed). */
const CLAIM_LEASE_MS = 5 * 60_000;
const UNKNOWN_ISSUED = 'unknown-issued';
/** Every live place, whatever its expiry: the listing the precertificate index is built from. */
const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

/**
 * Polls Certificate Transparency logs for certificates of the monitored domains that the inventory does not hold,
 * and raises Unknown Certificate Issued (high) for each, once.
 *
 * Each log is read from its stored position up to its tree size (at most `maxEntriesPerPoll`), a get-entries page
 * at a time; a short page moves on by what it returned. After a page's findings are published the position moves
 * past it with a conditional write, so a poll that stops (an unreachable log, a crash) resumes at the first page
 * not done and no entry is read twice. A finding is claimed in the alert ledger before it is published, keyed by
 * the certificate's issuer and serial, which a precertificate shares with its final certificate: one finding per
 * issued certificate, however many logs hold it and whichever of the two is met first.
 *
 * Known: a certificate the inventory holds (byFingerprint); a precertificate whose final certificate (same issuer
 * and serial) a live place holds. One log failing never stops the others.
 */
export async function monitorCt(options: MonitorCtOptions): Promise<CtPollReport> {
  const findings: UnknownCertificateIssuedDetail[] = [];
  const known = new KnownCertificates(options.store, options.domains);
  const run: PollRun = { owner: randomUUID(), seen: new Set(), findings, limit: pLimit(REQUESTS_IN_FLIGHT) };
  const logs = await Promise.all(
    options.logs.map(async (log) => {
      const report: CtLogReport = {
        log: log.name,
        url: log.url,
        from: null,
        to: null,
        treeSize: null,
        read: 0,
        matched: 0,
        known: 0,
        allowlisted: 0,
        unknown: 0,
        raised: 0,
        unreadable: [],
        error: null,
      };
      try {
        await pollLog(log, options, known, report, run);
      } catch (error) {
        report.error = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      }
      return report;
    }),
  );
  return { logs, findings };
}

async function pollLog(
  log: CtLog,
  options: MonitorCtOptions,
  known: KnownCertificates,
  report: CtLogReport,
  run: PollRun,
): Promise<void> {
  const { positions, signal } = options;
  const sth = await log.getSth(signal);
  report.treeSize = sth.treeSize;
  let stored = await positions.position(log.url);
  if (stored === undefined && (options.startAt ?? 'latest') === 'latest') {
    if (!(await positions.advance(log.url, undefined, sth.treeSize, sth.treeSize)))
      throw new Error(`${log.name}: another poller started this log at the same time`);
    report.from = report.to = sth.treeSize;
    return;
  }
  let position = stored ?? 0;
  report.from = report.to = position;
  if (position > sth.treeSize)
    throw new Error(`${log.name}: tree size ${sth.treeSize} is below the stored position ${position}`);
  const end = Math.min(sth.treeSize, position + (options.maxEntriesPerPoll ?? 10_000));
  while (position < end) {
    if (signal?.aborted) throw new Error(`${log.name}: stopped at entry ${position} (${String(signal.reason)})`);
    const last = Math.min(position + log.batchSize, end) - 1;
    const page = await log.getEntries(position, last, signal);
    if (page.length === 0) throw new Error(`${log.name}: get-entries ${position}-${last} returned no entries`);
    const entries: Array<{ entry: CtLogEntry; index: number }> = [];
    for (const [offset, raw] of page.entries()) {
      report.read++;
      try {
        entries.push({ entry: readCtEntry(raw.leafInput, raw.extraData), index: position + offset });
      } catch (error) {
        if (report.unreadable.length < MAX_UNREADABLE_LISTED)
          report.unreadable.push(
            `entry ${position + offset}: ${error instanceof Error ? error.message : String(error)}`,
          );
      }
    }
    // The inventory lookups of a page go side by side: a page of a busy log holds a few entries for our names.
    const unknown = (
      await Promise.all(
        entries.map(({ entry, index }) => run.limit(() => examine(entry, index, log, options, known, report))),
      )
    ).filter((finding) => finding !== undefined);
    await raise(unknown, options, report, run);
    const next = position + page.length;
    if (!(await positions.advance(log.url, stored, next, sth.treeSize)))
      throw new Error(`${log.name}: another poller moved past entry ${position}; this one stops`);
    stored = position = report.to = next;
  }
}

/** The finding an entry makes, or undefined when it is for other names, allowlisted or known. */
async function examine(
  entry: CtLogEntry,
  index: number,
  log: CtLog,
  options: MonitorCtOptions,
  known: KnownCertificates,
  report: CtLogReport,
): Promise<UnknownCertificateIssuedDetail | undefined> {
  const { record } = entry;
  const names = record.subjectCommonName ? [...record.sans.dns, record.subjectCommonName] : record.sans.dns;
  const domains = domainsCovering(names, options.domains);
  if (domains.length === 0) return undefined;
  report.matched++;
  const allowlist = options.allowlist ?? { issuers: [], publicKeys: [] };
  if (allowedBy({ ...record, issuerKeySha256: entry.issuerKeySha256 }, allowlist)) {
    report.allowlisted++;
    return undefined;
  }
  if (await known.holds(entry)) {
    report.known++;
    return undefined;
  }
  report.unknown++;
  return {
    schemaVersion: 1,
    findingId: issuedCertificateId(record.issuer, record.serialNumber),
    log: log.name,
    logUrl: log.url,
    index,
    entryType: entry.entryType,
    loggedAt: new Date(entry.timestamp).toISOString(),
    fingerprint: entry.fingerprint,
    serialNumber: record.serialNumber,
    subject: record.subject,
    subjectCommonName: record.subjectCommonName,
    dnsNames: record.sans.dns,
    issuer: record.issuer,
    issuerSpkiSha256: entry.issuerKeySha256,
    spkiSha256: record.publicKeySha256,
    notBefore: record.notBefore,
    notAfter: record.notAfter,
    domains,
    severity: 'high',
    at: options.clock.now().toISOString(),
  };
}

/** What the logs polled at once share: who claims, and the findings this run has claimed or raised. */
interface PollRun {
  owner: string;
  seen: Set<string>;
  findings: UnknownCertificateIssuedDetail[];
  limit: pLimit.Limit;
}

/**
 * Claims each finding in the ledger, publishes those it won, and marks them sent: one raised before (from this log
 * or another) is not published again. If publishing fails the claims are given back and the page is not passed,
 * so the next poll reads it again and raises them then; so too if another poller holds one (it may have crashed
 * before publishing it: its lease runs out and the next poll takes it over).
 */
async function raise(
  unknown: UnknownCertificateIssuedDetail[],
  options: MonitorCtOptions,
  report: CtLogReport,
  run: PollRun,
): Promise<void> {
  // A precertificate and its certificate on one page, or one certificate in two logs polled at once: claimed once.
  const fresh = unknown.filter((detail) => !run.seen.has(detail.findingId) && run.seen.add(detail.findingId));
  const results = await Promise.all(
    fresh.map((detail) =>
      run.limit(async () => {
        const key = findingKey(detail.findingId);
        const result = await options.ledger.claim(key, {
          owner: run.owner,
          leaseMs: CLAIM_LEASE_MS,
          keepUntil: new Date(detail.notAfter),
        });
        return { key, detail, result };
      }),
    ),
  );
  const claimed = results.filter(({ result }) => result === 'claimed');
  const held = results.find(({ result }) => result === 'held')?.detail;
  const giveBack = () => Promise.all(claimed.map(({ key }) => run.limit(() => options.ledger.release(key, run.owner))));
  if (held) {
    await giveBack();
    for (const { detail } of claimed) run.seen.delete(detail.findingId);
    throw new Error(`${held.log}: the finding of entry ${held.index} is held by another poller; read again next poll`);
  }
  if (claimed.length === 0) return;
  try {
    await (options.events ?? discardEvents).publish(claimed.map(({ detail }) => unknownCertificateIssuedEvent(detail)));
  } catch (error) {
    await giveBack();
    throw error;
  }
  await Promise.all(claimed.map(({ key }) => run.limit(() => options.ledger.complete(key, run.owner))));
  report.raised += claimed.length;
  run.findings.push(...claimed.map(({ detail }) => detail));
}

/** The ledger record of an issued certificate's finding: its own partition, so findings spread over the table. */
const findingKey = (findingId: string): AlertKey => ({
  locationId: `ct:${findingId}`,
  fingerprint: findingId,
  thresholdId: UNKNOWN_ISSUED,
});

/**
 * Whether the inventory holds a logged certificate: by its fingerprint (the byFingerprint index), or for a
 * precertificate by the issuer and serial of a final certificate at a live place. That second lookup has no index:
 * it is built once per poll, on the first precertificate that needs it, from the live places whose names fall under
 * the monitored domains.
 */
class KnownCertificates {
  private issued?: Promise<Set<string>>;

  constructor(
    private readonly store: InventoryStore,
    private readonly domains: readonly string[],
  ) {}

  async holds(entry: CtLogEntry): Promise<boolean> {
    if (entry.fingerprint !== null) {
      for await (const _place of this.store.locationsOfCertificate(entry.fingerprint)) return true;
      return false;
    }
    this.issued ??= this.issuedUnderDomains();
    return (await this.issued).has(issuedCertificateId(entry.record.issuer, entry.record.serialNumber));
  }

  private async issuedUnderDomains(): Promise<Set<string>> {
    const fingerprints: string[] = [];
    for await (const place of this.store.expiringBefore(END_OF_TIME)) {
      const summary = place.certificate;
      if (!place.fingerprint || !summary) continue;
      const names = summary.subjectCommonName ? [...summary.dnsNames, summary.subjectCommonName] : summary.dnsNames;
      if (domainsCovering(names, this.domains).length > 0) fingerprints.push(place.fingerprint);
    }
    const issued = new Set<string>();
    for (let i = 0; i < fingerprints.length; i += 100) {
      const records = await this.store.getCertificates(fingerprints.slice(i, i + 100));
      for (const record of records.values()) issued.add(issuedCertificateId(record.issuer, record.serialNumber));
    }
    return issued;
  }
}
