/**
 * `npm run lakehouse -- quarantine list|replay [--name value ...]` (also `npm run quarantine`): the
 * ingestor's quarantine endpoints from a shell, on the lakehouse of the environment
 * (LAKEHOUSE_ROOT, INGEST_APP_ID, WATERMARK_DELAY, MAX_EVENT_TIME_AHEAD, validated as the ingestor
 * does). Options are the HTTP parameters: --reason late_event --from 2026-12-01T00:00:00Z
 * --partition 0 --fromOffset 10 --toOffset 20 --limit 50 --offset 0; replay also takes
 * --skipWatermark, --skipFutureCheck, --dryRun (flags) and --chunkRows N. Prints JSON: the page,
 * or one line per committed chunk then the report. Exit code 2 on a bad parameter (named on stderr).
 */
import { loadEnv } from '@app/common';
import { InvalidSelectionError, QuarantineOperations } from '@app/ingest';
import { BRONZE_ENV } from '../../apps/bronze-ingestor/src/config';
import { InvalidOptionError, parseOptions } from './cli-options';
import type { OperatorCommand } from './operator-command';

const FLAGS = new Set(['skipWatermark', 'skipFutureCheck', 'dryRun']);
const USAGE =
  'usage: npm run quarantine -- list|replay [--reason r1,r2] [--from ISO] [--to ISO] [--partition N] [--fromOffset N] [--toOffset N] ' +
  '[--limit N] [--offset N] [--skipWatermark] [--skipFutureCheck] [--dryRun] [--chunkRows N]';

export const command: OperatorCommand = {
  usage: USAGE,
  async run([action, ...args]) {
    if (action !== 'list' && action !== 'replay') {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const config = loadEnv(BRONZE_ENV);
    const operations = new QuarantineOperations(config.LAKEHOUSE_ROOT, {
      appId: config.INGEST_APP_ID,
      watermarkDelayMs: config.WATERMARK_DELAY,
      maxEventTimeAheadMs: config.MAX_EVENT_TIME_AHEAD,
    });
    try {
      const params = parseOptions(args, FLAGS, USAGE);
      const result =
        action === 'list'
          ? await operations.list(params)
          : await operations.replay(params, (chunk) => process.stdout.write(`${JSON.stringify({ committed: chunk })}\n`));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof InvalidSelectionError) && !(e instanceof InvalidOptionError)) throw e;
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
  },
};
