/** Bad configuration stops every app at start-up, naming the variable (exit code 78, EX_CONFIG). */
import { AppProcess } from '../support/app-process';

const CASES: Array<[app: string, env: Record<string, string>, named: RegExp]> = [
  ['producer', { PRODUCER_RATE: 'fast' }, /PRODUCER_RATE: expected a number/],
  ['bronze-ingestor', { WATERMARK_DELAY: 'ten minutes' }, /WATERMARK_DELAY: expected a duration/],
  ['silver-scheduler', { SILVER_CRON: 'every hour' }, /SILVER_CRON/],
  ['analytics-gateway', { CACHE_MAX_BYTES: '-5', AUTH_DISABLED: 'true' }, /CACHE_MAX_BYTES/],
  // Auth is off only when told so: without a readable keys file no app with API keys starts.
  ['analytics-gateway', { API_KEYS_FILE: '' }, /API_KEYS_FILE: required/],
  ['bronze-ingestor', { API_KEYS_FILE: '' }, /API_KEYS_FILE: required/],
  ['silver-scheduler', { API_KEYS_FILE: '/nonexistent/api-keys' }, /API_KEYS_FILE: cannot read \/nonexistent\/api-keys: ENOENT/],
];

it.each(CASES)('%s refuses to start and names the bad variable', async (app, env, named) => {
  const proc = await AppProcess.start(app, env);
  expect(await proc.waitExit()).toBe(78);
  expect(proc.logs.join('')).toMatch(named);
}, 60_000);
