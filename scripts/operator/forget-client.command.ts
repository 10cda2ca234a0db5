/**
 * `npm run lakehouse -- forget-client --clientId C --retentionHours H`: the right to erasure.
 * Removes client C from bronze, quarantine and every silver table, then vacuums them with a
 * retention of H hours (libs/silver forgetClient; docs/forget-client.md). Safe while the apps
 * run; idempotent. Prints one JSON line per step, then the report. Exit code 2 on a bad option.
 */
import { LAKEHOUSE_ENV, loadEnv } from '@app/common';
import { forgetClient } from '@app/silver';
import { InvalidOptionError, parseOptions } from './cli-options';
import type { OperatorCommand } from './operator-command';

const USAGE = 'usage: npm run lakehouse -- forget-client --clientId N --retentionHours H';

function numberOption(params: Record<string, string>, name: string, valid: (n: number) => boolean, expected: string): number {
  const raw = params[name];
  if (raw === undefined) throw new InvalidOptionError(name, `is required\n${USAGE}`);
  const n = Number(raw);
  if (raw.trim() === '' || !valid(n)) throw new InvalidOptionError(name, `expected ${expected}, got ${JSON.stringify(raw)}`);
  return n;
}

export const command: OperatorCommand = {
  usage: USAGE,
  async run(args) {
    let clientId: number;
    let retentionHours: number;
    try {
      const params = parseOptions(args, new Set(), USAGE);
      const unknown = Object.keys(params).find((k) => k !== 'clientId' && k !== 'retentionHours');
      if (unknown) throw new InvalidOptionError(unknown, `unknown option\n${USAGE}`);
      clientId = numberOption(params, 'clientId', Number.isSafeInteger, 'an integer');
      retentionHours = numberOption(params, 'retentionHours', (n) => Number.isFinite(n) && n >= 0, 'a number of hours >= 0');
    } catch (e) {
      if (!(e instanceof InvalidOptionError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    const config = loadEnv(LAKEHOUSE_ENV);
    const report = await forgetClient({
      lakehouseRoot: config.LAKEHOUSE_ROOT,
      clientId,
      retentionHours,
      onStep: (step) => process.stdout.write(`${JSON.stringify({ step })}\n`),
    });
    process.stdout.write(`${JSON.stringify({ clientId: report.clientId, retentionHours: report.retentionHours, passes: report.passes, rowsDeleted: report.rowsDeleted, filesVacuumed: report.filesVacuumed }, null, 2)}\n`);
    return 0;
  },
};
