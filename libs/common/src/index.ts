export * from './config/env';
export * from './config/common-env';
export * from './config/config.module';
export * from './observability/metrics';
export * from './observability/health';
export * from './observability/logger';
export * from './bootstrap';
export * from './recent-items';
