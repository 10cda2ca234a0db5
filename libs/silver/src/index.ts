export * from './money-sql';
export * from './spending-tiers';
export * from './aggregation-sql';
export * from './bronze-changes';
export * from './silver-tables';
export * from './run-report';
export * from './silver-job';
