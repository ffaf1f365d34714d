import { Command, InvalidArgumentError, Option } from 'commander';
import { SEVERITIES, type CertificateUse, type Severity } from '../domain/policy/types';
import type { Clock } from '../ports/clock';
import { EXIT } from './exit-codes';
import { lazy } from './lazy';
import type { openInventory, StoreOptions } from './open-inventory';
import { addStoreOptions, withExamples } from './options';
import type { LoadedPolicy } from './policy-files';

/*
 * Registration only: `--help` loads this file, so the policy engine, the parser and the inventory are imported
 * when a policy command runs (./commands/policy.ts).
 */

/** Exit codes of the policy commands (the CLI's scheme, lib/cli/exit-codes.ts). */
export const POLICY_EXIT = {
  /** Everything evaluated; no violation at or above `--fail-on`. */
  ok: EXIT.ok,
  /** A violation at or above `--fail-on` (check), or the fingerprint or location is not in the inventory (explain). */
  violations: EXIT.findings,
  /**
   * Input that could not be used: an unreadable certificate file or block in one (a gate cannot pass what it could
   * not read, whatever `--fail-on` says), an invalid policy. Takes precedence over 1.
   */
  error: EXIT.error,
} as const;

/** The severity at or above which `policy check` fails. @default 'low' (so `info` violations never fail) */
export const DEFAULT_FAIL_ON: Severity = 'low';

/** Policy files looked for in the working directory when `--policy` is not given, before the configuration. */
export const POLICY_FILE_NAMES = ['certwarden.policy.json'];

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

export interface CheckOptions {
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

type ExplainOptions = StoreOptions & { policy?: string; json?: boolean };

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

const policyOption = () =>
  new Option('--policy <file>', 'policy file, or a certwarden config with a policy section').env('CERTWARDEN_POLICY');

/**
 * Adds `certwarden policy check` and `certwarden policy explain` to a program.
 *
 * - `check <path...>`: evaluates certificate files (PEM, DER, PKCS#7, PKCS#12; every certificate in each) against
 *   the policy, with optional deployment context (`--tag env=prod`, `--owner`, `--use tls-server`, …) so that
 *   scoped rules apply as they will in the inventory; a CI gate before a certificate is deployed, so each
 *   certificate counts as in use (an expired or not-yet-valid one fails). Exit 1 on a violation at or above
 *   `--fail-on` (default `low`), 2 when a file is unreadable (the others are still evaluated) or the policy is
 *   invalid.
 * - `explain <fingerprint|location>`: which rules applied to a certificate of the inventory, from which scope, with
 *   which parameters, and why each passed, failed or did not apply.
 */
export function registerPolicyCommands(program: Command, deps: PolicyCommandDeps): Command {
  const policy = program.command('policy').description('check certificates against the certificate policy');

  withExamples(
    policy
      .command('check')
      .description('evaluate certificate files against the policy; exit 1 on a violation at or above --fail-on')
      .argument('<path...>', 'certificate files (PEM, DER, PKCS#7, PKCS#12)')
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
      .option('--use <use>', `what will use it (repeatable): ${USES.join(', ')}`, collectUse),
    [
      'certwarden policy check new-cert.pem --fail-on high',
      'certwarden policy check api.pem --tag env=prod --use tls-server --json',
    ],
  ).action(async (paths: string[], options: CheckOptions) =>
    deps.exit(await withPolicy(deps, options.policy, (run, loaded) => run.check(paths, options, loaded))),
  );

  withExamples(
    addStoreOptions(
      policy
        .command('explain')
        .description('show which rules apply to an inventoried certificate or place, from which scope, and why')
        .argument('<target>', 'a SHA-256 fingerprint, or a location id (as `certwarden list --json` shows)')
        .addOption(policyOption())
        .option('--json', 'print JSON'),
    ),
    [
      'certwarden policy explain 3f1c…e9 (a SHA-256 fingerprint)',
      'certwarden policy explain local-files:/etc/ssl/a.pem',
    ],
  ).action(async (target: string, options: ExplainOptions) =>
    deps.exit(await withPolicy(deps, options.policy, (run, loaded) => run.explain(target, options, loaded))),
  );

  return policy;
}

interface PolicyRunner {
  check(paths: string[], options: CheckOptions, loaded: LoadedPolicy): Promise<number>;
  explain(target: string, options: ExplainOptions, loaded: LoadedPolicy): Promise<number>;
}

/** Loads the policy (a one-line error and exit 2 when it is invalid), then runs the command with it. */
async function withPolicy(
  deps: PolicyCommandDeps,
  path: string | undefined,
  work: (run: PolicyRunner, loaded: LoadedPolicy) => Promise<number>,
): Promise<number> {
  const { loadPolicy } = lazy.policyFiles();
  const commands = lazy.policy();
  const { systemClock } = lazy.clock();
  const errOut = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const io = {
    out: deps.stdout ?? ((text: string) => void process.stdout.write(text)),
    warn: (text: string) => errOut(`certwarden: ${text}\n`),
    clock: deps.clock ?? systemClock,
    cwd: deps.cwd ?? process.cwd(),
    openInventory: deps.openInventory,
  };
  let loaded: LoadedPolicy;
  try {
    loaded = loadPolicy(path, io.cwd);
  } catch (error) {
    io.warn((error as Error).message);
    return POLICY_EXIT.error;
  }
  return work(
    {
      check: (paths, options, policy) => commands.check(io, paths, options, policy),
      explain: (target, options, policy) => commands.explain(io, target, options, policy),
    },
    loaded,
  );
}
