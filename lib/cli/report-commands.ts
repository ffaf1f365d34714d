import { InvalidArgumentError, type Command } from 'commander';
import { REPORT_NAMES } from '../domain/report';
import type { Clock } from '../ports/clock';
import { exitWith } from './evaluate-commands';
import { lazy } from './lazy';
import type { openInventory } from './open-inventory';
import { addStoreOptions, wholeDays, withExamples } from './options';

export interface ReportCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /** Where a report goes without `--out`. @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

export interface ReportCommandOptions {
  days?: number;
  owner?: string;
  since?: Date;
  until?: Date;
  format?: string;
  out?: string;
  store?: string;
  table?: string;
}

/** An instant on the command line: an ISO 8601 date or date-time (`2026-11-01`, `2026-11-01T12:00:00Z`). */
export const instant = (value: string): Date => {
  const parsed = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) throw new InvalidArgumentError('expected an ISO 8601 date or time');
  return parsed;
};

/**
 * Adds `certwarden report <name> [location]`: one compliance report of the inventory (lib/use-cases/reports) as a
 * table, CSV or JSON, to stdout or `--out`; `report pack --out DIR` writes every report in every file format.
 */
export function registerReportCommands(program: Command, deps: ReportCommandDeps): Command {
  const command = program
    .command('report')
    .description(
      'compliance reports of the inventory (PCI DSS 4.2.1.1, SOC 2, ISO 27001, NIST CSF) as a table, CSV, JSON or HTML',
    )
    .argument('<name>', `${REPORT_NAMES.join(', ')}, or pack (every report into --out DIR)`)
    .argument('[location]', 'audit: the place (its location id or the provider id)')
    .option('--days <n>', `expiring: within this many days (default 30)`, wholeDays)
    .option('--owner <owner>', 'inventory, expiring, violations: only this owner')
    .option('--since <date>', 'renewals: from this date (default 30 days before --until)', instant)
    .option('--until <date>', 'renewals: up to this date, excluded (default now)', instant)
    .option('--format <format>', 'table, csv, json or html (default table)')
    .option('--out <path>', 'write to this file (pack: this directory) instead of stdout');
  return withExamples(addStoreOptions(command), [
    'certwarden report inventory --format csv --out inventory.csv',
    'certwarden report expiring --days 60 --owner payments',
    'certwarden report renewals --since 2026-11-01 --until 2026-12-01 --format json',
    'certwarden report audit aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/0c1d…',
    'certwarden report pack --out evidence/2026-12',
  ]).action((name: string, location: string | undefined, options: ReportCommandOptions) =>
    exitWith(deps, async () => lazy.report().report(deps, name, location, options)),
  );
}
