import { EnvSpec } from './env';

/** Variables every app reads. */
export const HTTP_ENV = {
  PORT: { kind: 'int', min: 1, max: 65535, description: 'HTTP port for the API, /health and /metrics', default: '3000' },
  LOG_LEVEL: { kind: 'enum', values: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'], default: 'log', description: 'Lowest log level printed' },
} as const satisfies EnvSpec;

/** How the Kafka apps authenticate to the brokers; secrets are read from files (mounted secrets), never from the environment. */
export const KAFKA_SECURITY_ENV = {
  KAFKA_SECURITY_PROTOCOL: {
    kind: 'enum',
    values: ['PLAINTEXT', 'SSL', 'SASL_SSL'],
    default: 'PLAINTEXT',
    description: 'PLAINTEXT, SSL (TLS, with KAFKA_SSL_CERT_FILE for mutual TLS) or SASL_SSL (SASL over TLS)',
  },
  KAFKA_SASL_MECHANISM: {
    kind: 'enum',
    values: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'],
    default: 'SCRAM-SHA-512',
    description: 'SASL mechanism with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
  },
  KAFKA_SASL_USERNAME: { kind: 'string', default: '', description: 'SASL user name (required with SASL_SSL)' },
  KAFKA_SASL_PASSWORD_FILE: { kind: 'string', default: '', description: 'File holding the SASL password (required with SASL_SSL; trailing newline ignored)' },
  KAFKA_SSL_CA_FILE: {
    kind: 'string',
    default: '',
    description: "PEM file of the CA(s) the brokers' certificates are verified against (SSL, SASL_SSL; default: the system CAs)",
  },
  KAFKA_SSL_CERT_FILE: { kind: 'string', default: '', description: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)' },
  KAFKA_SSL_KEY_FILE: { kind: 'string', default: '', description: 'PEM private key of KAFKA_SSL_CERT_FILE' },
} as const satisfies EnvSpec;

export const KAFKA_ENV = {
  KAFKA_BROKERS: { kind: 'list', default: '127.0.0.1:9092', description: 'Comma-separated Kafka bootstrap servers' },
  KAFKA_TOPIC: { kind: 'string', default: 'ventes_stream', description: 'Topic the sales events are published to' },
  KAFKA_TOPIC_PARTITIONS: { kind: 'int', min: 1, default: '3', description: 'Partitions of the topic when an app has to create it (bronze replicas beyond this sit idle)' },
  ...KAFKA_SECURITY_ENV,
} as const satisfies EnvSpec;

/**
 * The S3 client reads these itself (the standard AWS chain, like the credentials:
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a credentials file, or an instance or pod role);
 * declared here to be validated and documented.
 */
export const S3_ENV = {
  AWS_ENDPOINT_URL_S3: { kind: 'string', default: '', description: 'S3 endpoint of a non-AWS server (SeaweedFS...), e.g. http://s3:8333; unset: AWS' },
  AWS_S3_FORCE_PATH_STYLE: { kind: 'boolean', default: 'false', description: 'Path-style S3 addressing (endpoint/bucket/key), for servers without per-bucket host names' },
  AWS_REGION: { kind: 'string', default: '', description: 'S3 region (unset: us-east-1)' },
  AWS_SHARED_CREDENTIALS_FILE: { kind: 'string', default: '', description: 'AWS credentials file (a mounted secret) with the S3 access key; unset: the rest of the AWS chain' },
  LAKEHOUSE_S3_CACHE_MAX_BYTES: {
    kind: 'int',
    min: 1,
    default: '1073741824',
    description: 'Disk budget of the local copies of S3 data files DuckDB reads (in the temp folder); least recently used copies go first',
  },
} as const satisfies EnvSpec;

export const LAKEHOUSE_ENV = {
  LAKEHOUSE_ROOT: {
    kind: 'string',
    default: './.data/lakehouse',
    description: 'Where the Delta tables (bronze/, silver/) live: a folder, or s3://bucket/prefix on S3-compatible object storage',
  },
  ...S3_ENV,
} as const satisfies EnvSpec;
