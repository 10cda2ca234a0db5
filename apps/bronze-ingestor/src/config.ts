import { AUTH_ENV, EnvConfig, EnvSpec, HTTP_ENV, KAFKA_ENV, LAKEHOUSE_ENV } from '@app/common';
import { DEFAULT_PAYLOAD_DECODER, PAYLOAD_DECODERS } from '@app/ingest';
import { FETCH_DECODERS } from '@app/kafka';

export const BRONZE_ENV = {
  ...HTTP_ENV,
  PORT: { ...HTTP_ENV.PORT, default: '3001' },
  ...KAFKA_ENV,
  ...LAKEHOUSE_ENV,
  ...AUTH_ENV,
  KAFKA_GROUP_ID: { kind: 'string', default: 'bronze-ingestor', description: 'Consumer group shared by the ingestor replicas' },
  INGEST_APP_ID: { kind: 'string', default: 'bronze-ingestor', description: 'Delta txn appId prefix under which offsets are stored in bronze' },
  WATERMARK_DELAY: { kind: 'duration', min: 0, default: '10m', description: 'Events older than the max event time seen minus this are quarantined as late_event' },
  MAX_EVENT_TIME_AHEAD: {
    kind: 'duration',
    min: 0,
    default: '5m',
    description: "Events dated further ahead of the ingestor's clock than this are quarantined as future_event (and never move the watermark)",
  },
  QUARANTINE_QUIET_PERIOD: {
    kind: 'duration',
    min: 0,
    default: '10m',
    description: 'A quarantine reason unseen for this long logs a warning when it fires again (and on its first occurrence)',
  },
  FLUSH_MAX_ROWS: { kind: 'int', min: 1, default: '50000', description: 'Commit when this many messages are buffered' },
  FLUSH_MAX_BYTES: { kind: 'int', min: 1024, default: '67108864', description: 'Commit when buffered payloads reach this many bytes' },
  FLUSH_MAX_LATENCY: { kind: 'duration', min: 10, default: '1s', description: 'Commit when the oldest buffered message is this old' },
  COMPACT_EVERY_COMMITS: { kind: 'int', min: 0, default: '100', description: 'Compact small files of past days every N commits (0 disables)' },
  PAYLOAD_DECODER: {
    kind: 'enum',
    values: PAYLOAD_DECODERS,
    default: DEFAULT_PAYLOAD_DECODER,
    description: 'How payloads are decoded: wasm (WebAssembly scan, fastest), js (JavaScript scan) or reference (JSON.parse + the contract validator); all accept and refuse the same payloads',
  },
  KAFKA_FETCH_DECODER: {
    kind: 'enum',
    values: FETCH_DECODERS,
    default: 'patched',
    description: "patched: Fetch responses decoded by libs/kafka's decoder (less CPU; only on the kafkajs version it was checked against, else kafkajs' own, with a warning); kafkajs: kafkajs' own decoder",
  },
  DUCKDB_THREADS: {
    kind: 'int',
    min: 1,
    default: '1',
    description: "DuckDB threads writing the Parquet files; more only add CPU while the ingestor's own two threads keep the cores busy",
  },
} as const satisfies EnvSpec;

export type BronzeConfig = EnvConfig<typeof BRONZE_ENV>;
