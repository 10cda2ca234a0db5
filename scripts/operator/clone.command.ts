/**
 * `npm run lakehouse -- clone --table bronze/ventes_stream --to /backups/2026-12-01/ventes_stream
 * [--version N] [--withOffsets]`: a consistent backup, Delta's deep CLONE of a table at a version
 * (the latest by default) to a folder or an s3://bucket/prefix root. The clone is a Delta table of
 * its own, readable by any Delta reader. `--withOffsets` keeps the ingestor's offsets (Delta txn);
 * put back with `--from <backup> --toTable bronze/ventes_stream`, such a backup lets the ingestor
 * resume after them. `--table`/`--toTable` name tables of the lakehouse of the environment
 * (LAKEHOUSE_ROOT), `--from`/`--to` any root. Prints the result as JSON. Exit code 2 on a bad
 * option, a missing source table, an existing table at the target, or a version that cannot be
 * read (named on stderr). See docs/recovery.md.
 */
import { LAKEHOUSE_ENV, loadEnv } from '@app/common';
import { deepClone, TableExistsError, TableNotFoundError, VersionNotAvailableError } from '@app/delta';
import { InvalidOptionError, parseOptions } from './cli-options';
import type { OperatorCommand } from './operator-command';
import { platformTableLocation } from './platform-tables';

const USAGE =
  'usage: npm run lakehouse -- clone (--table <layer>/<name> | --from <root>) (--to <folder | s3://bucket/prefix> | --toTable <layer>/<name>) [--version N] [--withOffsets]';

/** The root named by exactly one of a platform table option and a root option. */
function root(lakehouseRoot: string, params: Record<string, string>, tableOption: string, rootOption: string): string {
  const table = params[tableOption];
  const given = params[rootOption];
  if ((table === undefined) === (given === undefined)) throw new InvalidOptionError(rootOption, `give exactly one of --${tableOption} and --${rootOption}\n${USAGE}`);
  return given ?? platformTableLocation(lakehouseRoot, table);
}

export const command: OperatorCommand = {
  usage: USAGE,
  async run(args) {
    const { LAKEHOUSE_ROOT } = loadEnv(LAKEHOUSE_ENV);
    try {
      const params = parseOptions(args, new Set(['withOffsets']), USAGE);
      const source = root(LAKEHOUSE_ROOT, params, 'table', 'from');
      const target = root(LAKEHOUSE_ROOT, params, 'toTable', 'to');
      if (params.version !== undefined && !/^\d+$/.test(params.version)) {
        throw new InvalidOptionError('version', `expected a table version (an integer >= 0), got "${params.version}"`);
      }
      const result = await deepClone(source, target, {
        version: params.version === undefined ? undefined : Number(params.version),
        withAppTransactions: params.withOffsets === 'true',
      });
      process.stdout.write(`${JSON.stringify({ source, target, ...result }, null, 2)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof InvalidOptionError) && !(e instanceof TableNotFoundError) && !(e instanceof VersionNotAvailableError) && !(e instanceof TableExistsError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
  },
};
