import { EnvSpec } from './env';

/** Variables every app reads. */
export const HTTP_ENV = {
  PORT: { kind: 'int', min: 1, max: 65535, description: 'HTTP port for the API, /health and /metrics', default: '3000' },
  LOG_LEVEL: { kind: 'enum', values: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'], default: 'log', description: 'Lowest log level printed' },
} as const satisfies EnvSpec;

export const KAFKA_ENV = {
  KAFKA_BROKERS: { kind: 'list', default: '127.0.0.1:9092', description: 'Comma-separated Kafka bootstrap servers' },
  KAFKA_TOPIC: { kind: 'string', default: 'ventes_stream', description: 'Topic the sales events are published to' },
  KAFKA_TOPIC_PARTITIONS: { kind: 'int', min: 1, default: '3', description: 'Partitions of the topic when an app has to create it (bronze replicas beyond this sit idle)' },
} as const satisfies EnvSpec;

export const LAKEHOUSE_ENV = {
  LAKEHOUSE_ROOT: { kind: 'string', default: './.data/lakehouse', description: 'Folder holding the Delta tables (bronze/, silver/)' },
} as const satisfies EnvSpec;
