export * from './kafka-client';
export * from './batch-kafka.server';
