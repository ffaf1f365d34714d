import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type AwsSecurityFinding,
  type BatchImportFindingsCommandOutput,
  type BatchUpdateFindingsCommandOutput,
} from '@aws-sdk/client-securityhub';
import type { CertwardenEvent } from '../domain/events';
import { NotificationError } from '../domain/notifications/notification-error';
import { sdkRefusalReason } from './sdk-refusal';
import {
  isClosingFinding,
  toSecurityHubFindings,
  type AsffFinding,
  type SecurityHubTarget,
} from '../domain/notifications/security-hub-finding';
import type { EventPublisher } from '../ports/event-publisher';

export { NotificationError };

/** What the publisher needs of a SecurityHubClient (or a test double). */
export interface SecurityHubFindingsClient {
  send(command: BatchImportFindingsCommand): Promise<Partial<BatchImportFindingsCommandOutput>>;
  send(command: BatchUpdateFindingsCommand): Promise<Partial<BatchUpdateFindingsCommandOutput>>;
}

export interface SecurityHubPublisherOptions {
  /** A SecurityHubClient for `region`, with the SDK's retries (throttling is retried there, not here). */
  client: SecurityHubFindingsClient;
  /** The account the findings belong to: the caller's own (BatchImportFindings demands it). */
  accountId: string;
  region: string;
  /** @default 'aws' */
  partition?: string;
  /** See SecurityHubTarget.findingPrefix. @default DEFAULT_FINDING_PREFIX */
  findingPrefix?: string;
}

/** BatchImportFindings and BatchUpdateFindings take at most 100 findings a call. */
export const SECURITY_HUB_BATCH_SIZE = 100;

interface Entry {
  event: CertwardenEvent;
  finding: AsffFinding;
}

interface Failure {
  event: CertwardenEvent;
  findingId: string;
  reason: string;
  cause?: unknown;
  /** No retry will change it: the finding is refused for the caller (access) or for what it is (input). */
  permanent: boolean;
}

/** FailedFindings / UnprocessedFindings codes no retry changes; others (InternalFailure, limits) may pass later. */
const PERMANENT_CODES = new Set(['AccessDeniedException', 'InvalidAccessException', 'InvalidInputException']);

/**
 * Turns policy violations and high/critical expiry alerts into Security Hub findings (lib/domain/notifications/
 * security-hub-finding.ts), updated in place by stable Ids and archived when fixed. Findings go in batches of up
 * to 100 (BatchImportFindings); a finding Id appears at most once per batch, so two events about one finding in
 * one publish land in order. The findings a publish archived then get Workflow RESOLVED (BatchUpdateFindings),
 * the only documented way to set the workflow of an existing finding. Every event is attempted; a call that
 * fails after the SDK's retries, and every FailedFindings / UnprocessedFindings entry of a 200 reply, fails its
 * events, thrown together at the end as one NotificationError.
 */
export class SecurityHubPublisher implements EventPublisher {
  private readonly target: SecurityHubTarget;

  constructor(private readonly options: SecurityHubPublisherOptions) {
    const { accountId, region, partition, findingPrefix } = options;
    this.target = { accountId, region, partition, findingPrefix };
  }

  async publish(events: CertwardenEvent[]): Promise<void> {
    const entries = events.flatMap((event) =>
      toSecurityHubFindings(event, this.target).map((finding) => ({ event, finding })),
    );
    const failures: Failure[] = [];
    const archived: Entry[] = [];
    for (const batch of batchesOf(entries)) {
      const imported = await this.importBatch(batch, failures);
      archived.push(...imported.filter((entry) => isClosingFinding(entry.finding)));
    }
    for (const batch of batchesOf(archived)) await this.resolveWorkflow(batch, failures);

    if (failures.length > 0) {
      const failed = [...new Set(failures.map((failure) => failure.event))];
      const named = failures
        .slice(0, 5)
        .map((failure) => `${failure.findingId} (${failure.reason})`)
        .join('; ');
      throw new NotificationError(
        `Security Hub refused ${failures.length} finding(s) of ${failed.length} event(s) in ` +
          `${this.options.accountId}/${this.options.region}: ${named}${failures.length > 5 ? '; …' : ''}`,
        failed,
        {
          cause: failures.find((failure) => failure.cause !== undefined)?.cause,
          // An event is refused for good when each of its findings that failed was.
          refused: failed.flatMap((event) => {
            const own = failures.filter((failure) => failure.event === event);
            return own.every((failure) => failure.permanent) ? [{ event, reason: own[0].reason }] : [];
          }),
        },
      );
    }
  }

  /** Imports one batch; returns the entries Security Hub took. */
  private async importBatch(batch: Entry[], failures: Failure[]): Promise<Entry[]> {
    let output: Partial<BatchImportFindingsCommandOutput>;
    try {
      output = await this.options.client.send(
        new BatchImportFindingsCommand({ Findings: batch.map((entry) => entry.finding as AwsSecurityFinding) }),
      );
    } catch (error) {
      const permanent = sdkRefusalReason(error) !== undefined;
      for (const entry of batch) failures.push(failureOf(entry, errorText(error), permanent, error));
      return [];
    }
    const refused = new Map((output.FailedFindings ?? []).map((failed) => [failed.Id, failed]));
    const taken: Entry[] = [];
    for (const entry of batch) {
      const failed = refused.get(entry.finding.Id);
      if (failed)
        failures.push(
          failureOf(
            entry,
            `${failed.ErrorCode}: ${failed.ErrorMessage}`,
            PERMANENT_CODES.has(String(failed.ErrorCode)),
          ),
        );
      else taken.push(entry);
    }
    return taken;
  }

  /** Sets Workflow RESOLVED on findings just archived; a finding Security Hub does not know yet is no failure. */
  private async resolveWorkflow(batch: Entry[], failures: Failure[]): Promise<void> {
    let output: Partial<BatchUpdateFindingsCommandOutput>;
    try {
      output = await this.options.client.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: batch.map(({ finding }) => ({ Id: finding.Id, ProductArn: finding.ProductArn })),
          Workflow: { Status: 'RESOLVED' },
        }),
      );
    } catch (error) {
      const permanent = sdkRefusalReason(error) !== undefined;
      for (const entry of batch) failures.push(failureOf(entry, `workflow: ${errorText(error)}`, permanent, error));
      return;
    }
    const unprocessed = new Map(
      (output.UnprocessedFindings ?? [])
        .filter((unprocessedFinding) => unprocessedFinding.ErrorCode !== 'FindingNotFound')
        .map((unprocessedFinding) => [unprocessedFinding.FindingIdentifier?.Id, unprocessedFinding]),
    );
    for (const entry of batch) {
      const refused = unprocessed.get(entry.finding.Id);
      if (refused)
        failures.push(
          failureOf(
            entry,
            `workflow: ${refused.ErrorCode}: ${refused.ErrorMessage}`,
            PERMANENT_CODES.has(String(refused.ErrorCode)),
          ),
        );
    }
  }
}

/** Batches of at most 100 in order, none holding the same finding Id twice (a repeat starts the next batch). */
function batchesOf(entries: Entry[]): Entry[][] {
  const batches: Entry[][] = [];
  let current: Entry[] = [];
  let ids = new Set<string>();
  for (const entry of entries) {
    if (current.length === SECURITY_HUB_BATCH_SIZE || ids.has(entry.finding.Id)) {
      batches.push(current);
      current = [];
      ids = new Set();
    }
    current.push(entry);
    ids.add(entry.finding.Id);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const failureOf = (entry: Entry, reason: string, permanent: boolean, cause?: unknown): Failure => ({
  event: entry.event,
  findingId: entry.finding.Id,
  reason: `${entry.event.detailType}: ${reason}`,
  cause,
  permanent,
});

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
