import { Option, type Command } from 'commander';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import { EXIT } from './exit-codes';
import { lazy } from './lazy';
import type { openInventory, StoreOptions } from './open-inventory';
import { addConfigAndStoreOptions, withExamples } from './options';

/*
 * Registration only: `--help` loads this file; the use case, the adapters and their SDKs are imported when the
 * command runs (./commands/evaluate.ts).
 */

/** Exit codes of `certwarden evaluate` (the CLI's scheme, lib/cli/exit-codes.ts). */
export const EVALUATE_EXIT = {
  ok: EXIT.ok,
  /**
   * Some alerts could not be delivered: those a target failed were given back and the next run sends them to that
   * target only; those a target refused for good (or failed alerts.deliveryAttempts times) were dead-lettered.
   */
  publishFailed: EXIT.findings,
  /** The inventory could not be opened or read, the configuration is invalid, or an option is wrong. */
  error: EXIT.error,
} as const;

/** Retries of the local Slack and SIEM targets (tests shorten them). */
export interface LocalTargetRetry {
  /** @default the adapters' own (Slack 5, SIEM 4) */
  maxAttempts?: number;
  /** @default the adapters' own (Slack 500 ms, SIEM 200 ms) */
  backoffMs?: number;
}

export interface EvaluateCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Where alerts go besides stdout and the local targets (Slack, SIEM). @default an EventBridge bus when
   * `--event-bus` (CERTWARDEN_EVENT_BUS) is given, else nowhere more
   */
  events?: EventPublisher;
  /** @default the adapters' own retries */
  retry?: LocalTargetRetry;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

/** The options that pick the configuration, the inventory and the local targets (evaluate and digest). */
export interface LocalTargetOptions extends StoreOptions {
  config?: string;
  slackWebhook?: string;
  siemUrl?: string;
  siemFormat?: 'ocsf' | 'json';
}

export interface EvaluateCommandOptions extends LocalTargetOptions {
  dryRun?: boolean;
  all?: boolean;
  json?: boolean;
  eventBus?: string;
}

/**
 * `--slack-webhook`. Deliberately no environment variable: certwarden keeps secrets out of environments; the
 * config's `alerts.local.slackWebhookUrl` keeps it out of the shell's history instead.
 */
export const slackWebhookOption = (): Option =>
  new Option(
    '--slack-webhook <url>',
    "Slack incoming webhook URL (default: the config's alerts.local.slackWebhookUrl)",
  );

/**
 * Runs a command's work and turns a CertwardenError (bad configuration, an unopenable inventory) into its
 * one-line message and exit 2; anything else is a fault for main's handler.
 */
export async function exitWith(
  deps: { exit: (code: number) => void; stderr?: (text: string) => void },
  work: () => Promise<number>,
): Promise<void> {
  const { CertwardenError } = lazy.errors();
  try {
    deps.exit(await work());
  } catch (error) {
    if (!(error instanceof CertwardenError)) throw error;
    (deps.stderr ?? ((text: string) => void process.stderr.write(text)))(`certwarden: ${error.message}\n`);
    deps.exit(EXIT.error);
  }
}

/**
 * Adds `certwarden evaluate [--dry-run] [--all] [--json]`: sends every expiry alert due now (Certificate
 * Expiring / Certificate Expired), each once per (location, certificate, threshold) however often it runs, to
 * stdout and to every local target (Slack webhook, SIEM collector: the options, else the config's
 * `alerts.local`); prints the events sent, or with `--dry-run` those that would be (claiming and sending
 * nothing). It reads the places the alert schedule has due; `--all` first makes every place due.
 */
export function registerEvaluateCommands(program: Command, deps: EvaluateCommandDeps): Command {
  const command = program
    .command('evaluate')
    .description('send the expiry alerts due now, each exactly once, to stdout and the local targets')
    .option('--dry-run', 'send and record nothing: show what would be sent')
    .addOption(
      new Option(
        '--all',
        'look at every certificate, not only those due: once after upgrading to the alert schedule or changing the thresholds (reads the whole inventory)',
      ).conflicts('dryRun'),
    )
    .option('--json', 'print the events as a JSON array');
  return withExamples(
    addConfigAndStoreOptions(command)
      .addOption(
        new Option('--event-bus <name>', 'also publish the events to this EventBridge bus').env('CERTWARDEN_EVENT_BUS'),
      )
      .addOption(slackWebhookOption())
      .addOption(new Option('--siem-url <url>', "SIEM collector URL (default: the config's alerts.local.siemUrl)"))
      .addOption(
        new Option(
          '--siem-format <format>',
          'what the collector gets (default: alerts.local.siemFormat, else json)',
        ).choices(['ocsf', 'json']),
      ),
    ['certwarden evaluate --dry-run', 'certwarden evaluate --siem-url http://localhost:8088/ingest --siem-format ocsf'],
  ).action((options: EvaluateCommandOptions) => exitWith(deps, async () => lazy.evaluate().evaluate(deps, options)));
}
