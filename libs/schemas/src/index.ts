export * from './sales-event';
export * from './validate';
export * from './tables';
export * from './table-location';
