export * from './sales-event';
export * from './validate';
export * from './tables';
