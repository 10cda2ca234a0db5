import { EnvConfig, EnvSpec, HTTP_ENV, LAKEHOUSE_ENV } from '@app/common';

export const GATEWAY_ENV = {
  ...HTTP_ENV,
  ...LAKEHOUSE_ENV,
  CACHE_MAX_ENTRIES: { kind: 'int', min: 1, default: '10000', description: 'Answers kept in the in-memory cache, over all endpoints and table versions' },
  SNAPSHOT_REFRESH_INTERVAL: {
    kind: 'duration',
    min: 0,
    default: '200ms',
    description: 'How often at most requests make the gateway look for new commits of a table (a stat of the next commit file)',
  },
  SNAPSHOT_CACHE_VERSIONS: { kind: 'int', min: 1, default: '8', description: 'Past versions per table kept loaded in memory for time travel' },
} as const satisfies EnvSpec;

export type GatewayConfig = EnvConfig<typeof GATEWAY_ENV>;
