export * from './offsets';
export * from './watermark';
export * from './buffers';
export * from './transforms';
export * from './progress';
export * from './bronze-ingestor';
