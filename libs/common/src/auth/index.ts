export * from './api-keys';
export * from './auth-env';
export * from './require-role';
export * from './api-key.guard';
export * from './auth.module';
