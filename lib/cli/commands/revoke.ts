import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { DynamoRevocationLedger } from '../../adapters/dynamodb-revocation-ledger';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { createRevoker } from '../../connectors/revoker-from-config';
import { CertwardenError } from '../../domain/errors';
import type { CertwardenEvent } from '../../domain/events';
import type { RevocationReason } from '../../domain/revocation';
import { systemClock } from '../../ports/clock';
import { revoke, type RevokeReport } from '../../use-cases/revoke';
import { EXIT, type ExitCode } from '../exit-codes';
import type { StoreOptions } from '../open-inventory';
import { out } from '../output';
import { eventsLine, factLines, recordingPublisher } from '../recording-publisher';
import { withConfiguredPlace } from './renew';

export interface RevokeCommandOptions extends StoreOptions {
  reason: RevocationReason;
  config?: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  eventBus?: string;
}

/** How a person says yes at a terminal: the whole word, since the act cannot be undone. */
export type Confirm = (question: string) => Promise<boolean>;

/** Asks on stderr (stdout carries the result only), when stdin is a terminal. */
const askOnTerminal: Confirm = async (question) => {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await terminal.question(`${question} Type "revoke" to go on: `)).trim() === 'revoke';
  } finally {
    terminal.close();
  }
};

/**
 * `certwarden revoke <location> --reason <reason>`: emergency revocation of the certificate at a place (see
 * lib/use-cases/revoke.ts). It cannot be undone, so it runs only with `--yes` or a yes typed at a terminal;
 * `--dry-run` prints the plan. Exit 0 when revoked (or revoked before), EXIT.issuerMustRevoke when the issuing CA
 * must revoke it, EXIT.error when the CA refused or nothing was confirmed.
 */
export async function revokeCommand(
  location: string,
  options: RevokeCommandOptions,
  confirm: Confirm | undefined = process.stdin.isTTY ? askOnTerminal : undefined,
): Promise<ExitCode> {
  return withConfiguredPlace(location, options, async ({ config, store, client, tableName, locationId }) => {
    const configured = createRevoker(config.sources, { fetchSecret: lazySecretsManagerFetcher() });
    const events = await recordingPublisher(options.eventBus);
    try {
      const run = (dryRun: boolean) =>
        revoke({
          locationId,
          reason: options.reason,
          store,
          ledger: new DynamoRevocationLedger(client, tableName),
          revoker: configured?.revoker,
          events,
          clock: systemClock,
          requestedBy: `cli:${userInfo().username}`,
          dryRun,
        });
      const plan = await run(true);
      let report = plan;
      if (!options.dryRun && plan.outcome === 'planned') {
        await confirmed(plan, options.yes, confirm);
        report = await run(false);
      }
      out(
        options.json
          ? `${JSON.stringify({ ...report, events: events.sent.map((event) => event.detailType) }, null, 2)}\n`
          : renderRevocation(report, events.sent, options.eventBus),
      );
      return report.certificateAuthorityArn === null ? EXIT.issuerMustRevoke : EXIT.ok;
    } finally {
      configured?.close();
    }
  });
}

/** Goes on with `--yes`, or a yes at a terminal; else stops with what to add. */
async function confirmed(plan: RevokeReport, yes: boolean | undefined, confirm: Confirm | undefined): Promise<void> {
  if (yes) return;
  const what = plan.certificateAuthorityArn
    ? `Revoke serial ${plan.serialNumber} at ${plan.certificateAuthorityArn} (${plan.reason})? It cannot be undone.`
    : `Record that serial ${plan.serialNumber} must be revoked by its issuing CA (${plan.issuer})?`;
  if (!confirm) {
    throw new CertwardenError('revoking cannot be undone: add --yes to confirm (or --dry-run to see the plan)');
  }
  if (!(await confirm(what))) throw new CertwardenError('not confirmed: nothing revoked');
}

/** What was done, one fact a line, then the runbook: every place to replace, where it is used, the next command. */
export function renderRevocation(report: RevokeReport, events: CertwardenEvent[], eventBus?: string): string {
  const record = report.record;
  const facts = factLines([
    ['place', report.locationId],
    ['certificate', `serial ${report.serialNumber}, issued by ${report.issuer}`],
    ['reason', report.reason],
    ['revoking CA', report.certificateAuthorityArn ?? `the issuing CA (${report.issuer}), not certwarden`],
    ['outcome', report.outcome === 'planned' ? 'dry run: nothing done' : report.outcome],
    ['result', report.message],
    ['recorded', record && `by ${record.requestedBy} at ${record.at}`],
    ['events', eventsLine(events, eventBus)],
  ]);
  const runbook = report.replace.map((place) => {
    const where = [place.account, place.region].filter(Boolean).join(' ');
    const lines = [`- ${place.locationId}`, `    owner        ${place.owner}${where ? ` (${where})` : ''}`];
    lines.push(`    in use by    ${place.inUseBy.length > 0 ? place.inUseBy.join(', ') : 'nothing reported'}`);
    lines.push(`    next         ${place.next ?? `replace it by hand (${place.owner})`}`);
    return lines.join('\n');
  });
  const title = report.outcome === 'planned' ? 'Would have to replace it at' : 'Replace it at';
  return `${facts}\n${title} (${report.replace.length} place${report.replace.length === 1 ? '' : 's'}):\n${runbook.join('\n')}\n`;
}
