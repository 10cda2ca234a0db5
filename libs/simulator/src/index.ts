export * from './catalog';
export * from './sale-id';
export * from './sales-generator';
