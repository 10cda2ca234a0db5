export * from './commit';
export * from './table-log';
export * from './transaction';
