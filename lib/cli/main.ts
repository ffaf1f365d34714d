import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { RENEWAL_ACTORS } from '../domain/renewal';
import { REVOCATION_REASONS } from '../domain/revocation';
import { registerDigestCommands } from './digest-commands';
import { registerEvaluateCommands } from './evaluate-commands';
import { EXIT, type ExitCode } from './exit-codes';
import { lazy } from './lazy';
import type { openInventory as OpenInventoryFunction } from './open-inventory';
import {
  addConfigAndStoreOptions,
  addStoreOptions,
  pkcs12PasswordOption,
  positiveInteger,
  wholeDays,
  withExamples,
} from './options';
import { registerPolicyCommands } from './policy-commands';
import { registerReportCommands } from './report-commands';

/*
 * The program is built from commander alone: every command imports what it runs when it runs (a provider's SDK
 * only for a sync of that provider), so `--help`, `--version` and a usage error cost commander and nothing else.
 */

/** The inventory, opened on first use: main's own commands and the registered ones share it. */
const openInventory: typeof OpenInventoryFunction = async (options, use) =>
  lazy.inventory().openInventory(options, use);

/** The version of the installed package: package.json sits above lib/ (the sources) or dist/lib/ (compiled). */
export function packageVersion(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

const HELP_FOOTER = `
Environment:
  CERTWARDEN_HOME     where the embedded inventory and the demo estate live (default: ./.certwarden)
  CERTWARDEN_CONFIG   configuration file (default: certwarden.config.json or .ts in the working directory)
  CERTWARDEN_STORE    "embedded", "aws", or a DynamoDB endpoint URL (default: embedded)
  CERTWARDEN_TABLE    inventory table name (default: certwarden-inventory)
  CERTWARDEN_POLICY   policy file (default: certwarden.policy.json, else the config's policy section)
  NO_COLOR            no progress bars
  CERTWARDEN_DEBUG    stack traces with errors

Exit codes:
  0  done
  1  done, with findings to act on (unreadable files, sync errors, violations, alerts not delivered)
  2  could not run (usage error, invalid configuration or policy, inventory unavailable, failure)
  3  revoke: no configured Private CA issued the certificate; its issuing CA must revoke it
`;

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('certwarden')
    .description('Certificate inventory and lifecycle: find every certificate before it expires.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .exitOverride()
    .addHelpText('after', HELP_FOOTER);
  const exit = (code: number) => setExitCode(code);
  const run =
    <A extends unknown[]>(work: (...args: A) => Promise<ExitCode>) =>
    async (...args: A) =>
      exit(await work(...args));

  withExamples(
    program
      .command('inspect')
      .description('read certificate files (PEM, DER, PKCS#7, PKCS#12) and show one record per certificate')
      .argument('<path...>', 'certificate files')
      .option('--json', 'print a JSON array of records')
      .addOption(pkcs12PasswordOption()),
    ['certwarden inspect cert.pem bundle.p7b server.der', 'certwarden inspect --json certs/*.pem'],
  ).action(run(async (paths: string[], options) => lazy.inspect().inspect(paths, options)));

  withExamples(
    addStoreOptions(
      program
        .command('scan')
        .description(
          'sync a directory tree of certificate files into the inventory, or look at what TLS endpoints serve (--endpoint)',
        )
        .option('--dir <path>', 'directory to scan recursively')
        .option(
          '--name <source>',
          "source name in the inventory (default: the directory's name); a scan retires only its own source's places",
        )
        .option('--owner <owner>', 'owner of the certificates found')
        .option('--owner-from-directory', 'owner = the first directory under --dir')
        .addOption(pkcs12PasswordOption())
        .option(
          '--endpoint <host:port...>',
          'TLS endpoints to scan (host, host:port, host:from-to, [v6]:port; smtp://, imap://, pop3://, ftp://, ldap:// or postgres:// in front for STARTTLS); nothing is stored',
        )
        .option('--endpoints-file <file>', 'TLS endpoints to scan, one a line (# comments)')
        .option('--ca-file <file>', 'PEM of private CAs an endpoint chain may end at, besides the public roots')
        .option('--timeout <ms>', 'per endpoint: connect, any STARTTLS and handshake (default: 5000)', positiveInteger)
        .option('--concurrency <n>', 'endpoints scanned at once (default: 16)', positiveInteger)
        .option('--json', 'endpoints: print a JSON array'),
    ),
    [
      'certwarden scan --dir /etc/ssl/private-ca --owner platform',
      'certwarden scan --dir ./certs --name shop-certs',
      'certwarden scan --endpoint example.com api.example.com:8443',
      'certwarden scan --endpoint smtp://mail.example.com:587 postgres://db.example.com',
      'certwarden scan --endpoints-file endpoints.txt --ca-file corp-root.pem --json',
    ],
  ).action(
    run(async (options) => {
      if (options.endpoint || options.endpointsFile) {
        if (options.dir)
          throw new (lazy.errors().CertwardenError)('give --dir or --endpoint/--endpoints-file, not both');
        return lazy.scanEndpoints().scanEndpointsCommand(options);
      }
      if (!options.dir) throw new (lazy.errors().CertwardenError)('give --dir, --endpoint or --endpoints-file');
      return lazy.sync().scan(options);
    }),
  );

  withExamples(
    addConfigAndStoreOptions(
      program
        .command('sync')
        .description('sync the configured sources (certwarden.config.json or .ts) into the inventory')
        .option('--source <name...>', 'only these sources'),
    ),
    ['certwarden sync', 'certwarden sync --source acm-prod kv-payments'],
  ).action(run(async (options) => lazy.sync().sync(options)));

  withExamples(
    addStoreOptions(
      program
        .command('list')
        .description('query the inventory: live places soonest expiry first, tombstones, unreadable places, violations')
        .option('--expiring <days>', 'only certificates expiring within this many days (or expired)', wholeDays)
        .option('--owner <owner>', 'only this owner')
        .option('--source <name>', 'only this source')
        .option('--removed', 'places no longer seen (tombstones)')
        .option('--errors', 'places whose certificate could not be read')
        .option('--violations', 'open policy violations (with --rule and/or --owner)')
        .option('--undelivered', 'alerts a target refused for good or failed too often (dead letters), newest first')
        .option('--rule <id>', 'open violations of one policy rule')
        .option('--public-key <sha256>', 'live places whose certificate has this public key (what key-reuse names)')
        .addOption(
          new Option(
            '--renewal <method>',
            'only places renewed this way: by the provider alone, by certwarden through the provider, or by a person',
          ).choices(RENEWAL_ACTORS),
        )
        .option('--json', "print JSON (with each certificate's serial number, renewal method and last renewal)"),
    ),
    [
      'certwarden list --expiring 30',
      'certwarden list --owner payments --json',
      'certwarden list --violations --rule rsa-min-key-size',
      'certwarden list --undelivered --json',
      'certwarden list --renewal manual',
    ],
  ).action(run(async (options) => lazy.list().list(options)));

  withExamples(
    addStoreOptions(
      program
        .command('demo')
        .description(
          'make a demo estate (first run), sync it into the embedded inventory and show what evaluate would send',
        ),
    ),
    ['certwarden demo', 'CERTWARDEN_HOME=/tmp/cw certwarden demo'],
  ).action(run(async (options) => lazy.demo().demo(options)));

  const renewCommand = withExamples(
    addConfigAndStoreOptions(
      program
        .command('renew')
        .description(
          "renew the certificate at one place through its provider (ACM, a Private CA, Key Vault) with its source's configured credentials",
        )
        .argument('<location>', "the place: its location id (aws-acm:arn:…) or the provider's id (the ARN)")
        .option('--dry-run', 'say which method would renew it and whether it is due; change nothing')
        .option('--json', 'print the outcome as JSON')
        .addOption(
          new Option('--event-bus <name>', 'also publish the renewal events to this EventBridge bus').env(
            'CERTWARDEN_EVENT_BUS',
          ),
        ),
    ),
    [
      'certwarden renew arn:aws:acm:eu-west-1:111111111111:certificate/0c1d… --dry-run',
      'certwarden renew aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/0c1d…',
    ],
  ).action(run(async (location: string, options) => lazy.renew().renewCommand(location, options)));
  // A sensitive certificate's renewal waits for a person (the config's `renewal.approval`): these answer it.
  for (const answer of ['approve', 'deny'] as const) {
    withExamples(
      addConfigAndStoreOptions(
        renewCommand
          .command(answer)
          .description(
            answer === 'approve'
              ? 'approve a renewal waiting for approval: the deployed workflow goes on, or the renewal runs here'
              : 'deny a renewal waiting for approval: it is closed without renewing',
          )
          .argument('<request-id>', 'the request, as `renew` printed it or the Approval Required event names it')
          .requiredOption('--reason <why>', 'why (kept with the answer in the renewal history)')
          .option('--json', 'print the outcome as JSON')
          .addOption(
            new Option('--event-bus <name>', 'also publish the renewal events to this EventBridge bus').env(
              'CERTWARDEN_EVENT_BUS',
            ),
          ),
      ),
      [
        `certwarden renew ${answer} 5b0c1f7e-… --reason "CHG-1234 ${answer === 'approve' ? 'approved by the PKI board' : 'freeze until Monday'}"`,
      ],
    ).action(
      // `renew` has the same options, and takes them wherever they stand: its own and the subcommand's, merged.
      run(async (requestId: string, _options, command: Command) =>
        lazy.renewApproval().approvalCommand(answer, requestId, command.optsWithGlobals()),
      ),
    );
  }

  withExamples(
    addConfigAndStoreOptions(
      program
        .command('revoke')
        .description(
          'emergency revocation: have the configured ACM Private CA that issued the certificate at a place revoke it, record it, and list every place to replace',
        )
        .argument('<location>', "the place: its location id (aws-acm:arn:…) or the provider's id (the ARN)")
        .addOption(
          new Option('--reason <reason>', 'why (RFC 5280 reason name)')
            .choices(REVOCATION_REASONS)
            .makeOptionMandatory(),
        )
        .option('--yes', 'revoke without asking (it cannot be undone); without it, a terminal asks')
        .option('--dry-run', 'say which CA would revoke it and which places to replace; change nothing')
        .option('--json', 'print the outcome and the runbook as JSON')
        .addOption(
          new Option('--event-bus <name>', 'also publish Certificate Revoked to this EventBridge bus').env(
            'CERTWARDEN_EVENT_BUS',
          ),
        ),
    ),
    [
      'certwarden revoke aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/0c1d… --reason keyCompromise --dry-run',
      'certwarden revoke arn:aws:acm:eu-west-1:111111111111:certificate/0c1d… --reason superseded --yes',
    ],
  ).action(run(async (location: string, options) => lazy.revoke().revokeCommand(location, options)));

  const ct = program
    .command('ct')
    .description(
      'Certificate Transparency: find certificates issued for your domains that the inventory does not hold',
    );
  withExamples(
    addConfigAndStoreOptions(
      ct
        .command('poll')
        .description(
          "read the configured CT logs from where the last poll stopped; print each unknown certificate for the config's ct.domains once",
        )
        .option('--log <name...>', 'only these configured logs')
        .option('--json', 'print the poll report as JSON')
        .addOption(
          new Option('--event-bus <name>', 'also publish Unknown Certificate Issued to this EventBridge bus').env(
            'CERTWARDEN_EVENT_BUS',
          ),
        ),
    ),
    ['certwarden ct poll', 'certwarden ct poll --log argon2026h1 --json'],
  ).action(run(async (options) => lazy.ct().ctPoll(options)));

  registerPolicyCommands(program, { openInventory, exit });
  registerEvaluateCommands(program, { openInventory, exit });
  registerDigestCommands(program, { openInventory, exit });
  registerReportCommands(program, { openInventory, exit });

  return program;
}

/** What a failure tells the person: one line, the stack only with CERTWARDEN_DEBUG. */
function report(error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    // commander has printed the help, the version or the usage error already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.error;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`certwarden: ${message.split('\n')[0]}\n`);
  if (process.env.CERTWARDEN_DEBUG) console.error(error);
  return EXIT.error;
}

/**
 * Ends the process with `code` once stdout has taken what was written: a command that is done never lingers on a
 * handle something left open (a database, a socket, a child process).
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once('drain', () => process.exit(code));
  process.stdout.once('error', () => process.exit(code));
}

/**
 * `certwarden … | head` closes the pipe early: that is the reader being done, not a failure. Ends quietly with 0,
 * before Node prints `write EPIPE` with a stack trace.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
}

export async function main(argv: string[] = process.argv): Promise<void> {
  endQuietlyOnClosedPipe();
  // A failure thrown where no caller can catch it (a library's callback) still ends the run as a failure does.
  const fatal = (error: unknown) => process.exit(report(error));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let code: number = EXIT.ok;
  const program = buildProgram((result) => (code = result));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = report(error);
  }
  exitWhenFlushed(code);
}
