import type { Command } from 'commander';
import type { Clock } from '../ports/clock';
import { exitWith, slackWebhookOption, type LocalTargetOptions, type LocalTargetRetry } from './evaluate-commands';
import { EXIT } from './exit-codes';
import { lazy } from './lazy';
import type { openInventory } from './open-inventory';
import { addConfigAndStoreOptions, withExamples } from './options';

/** Exit codes of `certwarden digest`, as `certwarden evaluate`'s (lib/cli/exit-codes.ts). */
export const DIGEST_EXIT = {
  ok: EXIT.ok,
  /** A target refused the digest: the day's claim was given back and the next run sends it. */
  sendFailed: EXIT.findings,
  /** The inventory could not be opened or read, the configuration is invalid, or an option is wrong. */
  error: EXIT.error,
} as const;

export interface DigestCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /** @default the Slack adapter's own retries */
  retry?: LocalTargetRetry;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

export interface DigestCommandOptions extends LocalTargetOptions {
  dryRun?: boolean;
  json?: boolean;
}

/**
 * Adds `certwarden digest [--dry-run] [--json]`: the daily digest of info and warning expiry news, exactly once
 * per UTC day as the deployed one (claimed in the alert ledger of the inventory table), printed and sent to the
 * local Slack target if any (`--slack-webhook`, else the config's `alerts.local.slackWebhookUrl`). With
 * `--dry-run` it prints what the digest would list and claims and sends nothing.
 */
export function registerDigestCommands(program: Command, deps: DigestCommandDeps): Command {
  const command = program
    .command('digest')
    .description('send the daily digest of info and warning expiry alerts, once a day, to stdout and Slack')
    .option('--dry-run', 'send and record nothing: show what the digest would list')
    .option('--json', 'print the digest report as JSON');
  return withExamples(addConfigAndStoreOptions(command).addOption(slackWebhookOption()), [
    'certwarden digest --dry-run',
    'certwarden digest --json',
  ]).action((options: DigestCommandOptions) => exitWith(deps, async () => lazy.digest().digest(deps, options)));
}
