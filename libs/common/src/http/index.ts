export * from './http-env';
export * from './request-id';
export * from './json-errors.filter';
export * from './http-conventions';
export * from './strict-query.pipe';
export * from './compression';
