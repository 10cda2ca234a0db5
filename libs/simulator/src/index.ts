export * from './catalog';
export * from './random';
export * from './sale-id';
export * from './sales-generator';
