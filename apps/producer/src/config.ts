import { EnvConfig, EnvSpec, HTTP_ENV, KAFKA_ENV } from '@app/common';

export const PRODUCER_ENV = {
  ...HTTP_ENV,
  PORT: { ...HTTP_ENV.PORT, default: '3003' },
  ...KAFKA_ENV,
  PRODUCER_RATE: { kind: 'number', min: 0.001, default: '0.5', description: 'Sales per second (the seed: one every 2 s)' },
  PRODUCER_CLIENTS: { kind: 'int', min: 1, default: '5', description: 'Number of clients in the catalog' },
  PRODUCER_PRODUCTS: { kind: 'int', min: 1, default: '5', description: 'Number of products in the catalog' },
  PRODUCER_TOTAL: { kind: 'int', min: 0, default: '0', description: 'Stop after this many sales (0: run until stopped)' },
  PRODUCER_INSTANCE_ID: { kind: 'int', min: -1, max: 15, default: '-1', description: 'Replica id in vente_id (0-15); -1 takes the host name ordinal' },
  PRODUCER_SEED: { kind: 'int', min: 0, default: '0', description: 'Random seed (0: time-based)' },
} as const satisfies EnvSpec;

export type ProducerConfig = EnvConfig<typeof PRODUCER_ENV>;
