import { InvalidArgumentError, Option, type Command } from 'commander';

/*
 * Options and help shared by several commands. This module is on the path of every command, `--help` included,
 * so it imports commander alone: whatever a command needs to run is imported when it runs.
 */

export const storeOption = (): Option =>
  new Option(
    '--store <target>',
    '"embedded" (dynalite under $CERTWARDEN_HOME, default ./.certwarden), "aws", or a DynamoDB endpoint URL',
  ).env('CERTWARDEN_STORE');

export const tableOption = (): Option =>
  new Option('--table <name>', 'inventory table name (default: certwarden-inventory)').env('CERTWARDEN_TABLE');

export const configOption = (): Option =>
  new Option('--config <path>', 'configuration file (default: certwarden.config.json or .ts here)').env(
    'CERTWARDEN_CONFIG',
  );

/** `--pkcs12-password-file`: a file, so the password stays out of the shell's history and the process list. */
export const pkcs12PasswordOption = (): Option =>
  new Option('--pkcs12-password-file <file>', 'password of PKCS#12 files (first line of the file)');

/** `--store` and `--table`: every command that reads or writes the inventory. */
export const addStoreOptions = (command: Command): Command => command.addOption(storeOption()).addOption(tableOption());

/** `--config`, `--store` and `--table`, as `sync`, `evaluate` and `digest` read them. */
export const addConfigAndStoreOptions = (command: Command): Command =>
  addStoreOptions(command.addOption(configOption()));

export const wholeDays = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number of days');
  return parsed;
};

export const positiveInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a whole number above 0');
  return parsed;
};

/** Appends `Examples:` to a command's `--help`, each line a command a person can paste. */
export const withExamples = (command: Command, examples: string[]): Command =>
  command.addHelpText('after', `\nExamples:\n${examples.map((example) => `  $ ${example}`).join('\n')}\n`);
