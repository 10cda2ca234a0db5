export * from './errors';
export * from './lru-cache';
export * from './types';
export * from './table-version';
export * from './table-snapshots';
export * from './queries';
export * from './analytics.service';
