export * from './kafka-client';
export * from './batch-kafka.server';
export * from './fetch-decoder';
export * from './kafka-security';
export * from './kafka-access';
