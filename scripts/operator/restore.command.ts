/**
 * `npm run lakehouse -- restore --table bronze/ventes_stream --version 12` (or `--timestamp ISO`,
 * UTC when it has no offset; `--dryRun` to see what would change): Delta's RESTORE on a table of
 * the lakehouse of the environment (LAKEHOUSE_ROOT). One commit brings the table's files back to
 * those of that version; the history keeps every version, so a RESTORE is undone by another.
 * Prints the result as JSON. Exit code 2 on a bad option, a missing table, or a version that cannot
 * be restored (not in the log, or files deleted by VACUUM), named on stderr. See docs/recovery.md.
 */
import { LAKEHOUSE_ENV, loadEnv } from '@app/common';
import { DeltaTable, restore, RestoreTarget, TableNotFoundError, toEpochMicros, VersionNotAvailableError } from '@app/delta';
import { InvalidOptionError, parseOptions } from './cli-options';
import type { OperatorCommand } from './operator-command';
import { platformTableLocation } from './platform-tables';

const USAGE = 'usage: npm run lakehouse -- restore --table <layer>/<name> (--version N | --timestamp ISO) [--dryRun]';

function restoreTarget(params: Record<string, string>): RestoreTarget {
  const { version, timestamp } = params;
  if ((version === undefined) === (timestamp === undefined)) throw new InvalidOptionError('version', `give exactly one of --version and --timestamp\n${USAGE}`);
  if (version !== undefined) {
    if (!/^\d+$/.test(version)) throw new InvalidOptionError('version', `expected a table version (an integer >= 0), got "${version}"`);
    return { version: Number(version) };
  }
  const micros = toEpochMicros(timestamp);
  if (micros === undefined) throw new InvalidOptionError('timestamp', `expected an ISO-8601 instant (e.g. 2026-12-01T10:00:00Z), got "${timestamp}"`);
  return { timestamp: Number(micros / 1000n) };
}

export const command: OperatorCommand = {
  usage: USAGE,
  async run(args) {
    const { LAKEHOUSE_ROOT } = loadEnv(LAKEHOUSE_ENV);
    try {
      const params = parseOptions(args, new Set(['dryRun']), USAGE);
      const uri = platformTableLocation(LAKEHOUSE_ROOT, params.table);
      const target = restoreTarget(params);
      const table = await DeltaTable.open(uri);
      const result = await restore(table.log, table.snapshot, target, { dryRun: params.dryRun === 'true' });
      process.stdout.write(`${JSON.stringify({ table: params.table, dryRun: params.dryRun === 'true', ...result }, null, 2)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof InvalidOptionError) && !(e instanceof TableNotFoundError) && !(e instanceof VersionNotAvailableError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
  },
};
