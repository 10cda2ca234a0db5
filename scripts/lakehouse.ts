/**
 * `npm run lakehouse -- <command> [args]`: the operator's table commands, run from a shell on the
 * lakehouse of the environment. Each command is one file in scripts/operator/ named
 * `<command>.command.ts`, exporting `command: OperatorCommand`; this entry point lists them, so
 * adding a command touches no other file. Exit codes: 0 done, 2 bad usage (named on stderr),
 * 1 failure.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { OperatorCommand } from './operator/operator-command';

const SUFFIX = '.command.ts';

function availableCommands(): string[] {
  return readdirSync(path.join(__dirname, 'operator'))
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const names = availableCommands();
  if (!name || !names.includes(name)) {
    process.stderr.write(`usage: npm run lakehouse -- <command> [args]\ncommands: ${names.join(', ')}\n`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { command } = require(path.join(__dirname, 'operator', `${name}${SUFFIX}`)) as { command: OperatorCommand };
  return command.run(args);
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  },
);
