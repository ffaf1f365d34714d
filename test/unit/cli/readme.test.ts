import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../../lib/cli/main';
import { CertwardenConfig, SourceConfig } from '../../../lib/domain/config';
import { OPTIONAL_PROVIDER_PACKAGES } from '../../../lib/ports/certificate-source';

/*
 * README's lists of commands and sources, and every example command line in it, checked against the CLI as
 * built and the configuration schema, so the two cannot drift apart again.
 */

const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

/** The rows of the Markdown table whose first heading is `heading`, as cells. */
function tableRows(heading: string): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^\\| ${heading} +\\|`).test(line));
  expect(start).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const codeNames = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(([, name]) => name);

/** Every runnable command of the program, `policy check` style, with its options' long flags. */
function commandsOf(program: Command, prefix = ''): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const command of program.commands) {
    const name = `${prefix}${command.name()}`;
    const subcommands = commandsOf(command, `${name} `);
    for (const [sub, flags] of subcommands) found.set(sub, flags);
    // A group (`policy`) is not a command of its own; one with subcommands and arguments (`renew`) is.
    const isGroup = subcommands.size > 0 && command.registeredArguments.length === 0;
    if (!isGroup && name !== 'help') found.set(name, [...command.options.map((option) => option.long!), '--help']);
  }
  return found;
}

const providerPackages: Record<string, readonly string[] | undefined> = OPTIONAL_PROVIDER_PACKAGES;
const program = buildProgram(() => {});
const commands = commandsOf(program);
const schemaKinds: string[] = SourceConfig.options.map((option) => option.shape.kind.value).sort();

describe('README', () => {
  it('lists exactly the commands the CLI has', () => {
    const listed = tableRows('command').map(([cell]) => codeNames(cell)[0]);
    expect(listed.sort()).toEqual([...commands.keys()].sort());
  });

  it('lists exactly the source kinds the configuration accepts, with the packages each needs', () => {
    const rows = tableRows('source kind');
    expect(rows.map(([cell]) => codeNames(cell)[0]).sort()).toEqual(schemaKinds);
    for (const [kind, , install] of rows)
      expect(codeNames(install)).toEqual([...(providerPackages[codeNames(kind)[0]] ?? [])]);
  });

  it('offers in its configuration example only source kinds that exist, and the example is valid', () => {
    const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(README)![1];
    const config = JSON.parse(example.replace(/"…"/g, '"x"')) as { sources: Array<{ kind: string }> };
    expect(config.sources.map((source) => source.kind).filter((kind) => !schemaKinds.includes(kind))).toEqual([]);
    expect(CertwardenConfig.safeParse(config).success).toBe(true);
  });

  it('uses in its examples only commands and options the CLI has', () => {
    const invocations = [...README.matchAll(/^(?:npx )?certwarden ([^#\n]*)/gm)].map(([, rest]) => rest.trim());
    expect(invocations.length).toBeGreaterThan(15);
    const unknown: string[] = [];
    for (const invocation of invocations) {
      const words = invocation.split(/\s+/);
      const name = commands.has(`${words[0]} ${words[1]}`) ? `${words[0]} ${words[1]}` : words[0];
      const flags = commands.get(name);
      if (!flags) {
        unknown.push(invocation);
        continue;
      }
      for (const word of words.map((w) => w.replace(/^\[|\]$/g, '')))
        if (word.startsWith('--') && !flags.includes(word.split('=')[0])) unknown.push(`${invocation} (${word})`);
    }
    expect(unknown).toEqual([]);
  });
});
