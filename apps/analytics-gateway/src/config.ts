import { AUTH_ENV, EnvConfig, EnvSpec, HTTP_CONVENTIONS_ENV, HTTP_ENV, LAKEHOUSE_ENV } from '@app/common';

export const GATEWAY_ENV = {
  ...HTTP_ENV,
  ...LAKEHOUSE_ENV,
  ...AUTH_ENV,
  ...HTTP_CONVENTIONS_ENV,
  CACHE_MAX_BYTES: {
    kind: 'int',
    min: 65536,
    default: '67108864',
    description: 'Bytes of answers kept in the in-memory cache (their JSON text, its compressed forms and key), over all endpoints and table versions',
  },
  CACHE_WARM_ANSWERS: {
    kind: 'int',
    min: 0,
    default: '32',
    description:
      'Answers made again in the background when a silver table gets a new version: the most asked lately, so the first requests after a silver run find them cached; 0: none',
  },
  SNAPSHOT_REFRESH_INTERVAL: {
    kind: 'duration',
    min: 0,
    default: '200ms',
    description:
      'How old the last look for new commits of a table may be; a request after that looks first (a stat of the next commit file), so it sees the newest commit. While a table is asked for, its log is also looked at in the background every interval, so a new version is loaded before requests need it',
  },
  SNAPSHOT_CACHE_MAX_BYTES: {
    kind: 'int',
    min: 1048576,
    default: '536870912',
    description: 'Bytes of table data kept in memory (estimated), latest and past versions together; versions share unchanged files, past versions are evicted beyond it',
  },
  QUERY_MAX_SCAN_ROWS: {
    kind: 'int',
    min: 1,
    default: '50000000',
    description: 'Rows a query may scan at most (from file statistics); beyond, a 400 names the parameters that narrow it (from, to)',
  },
} as const satisfies EnvSpec;

export type GatewayConfig = EnvConfig<typeof GATEWAY_ENV>;
