/**
 * `@app/delta/core`: the part of libs/delta that loads neither DuckDB nor any storage client —
 * the schema model, protocol actions, typed errors, and the column values and batches the
 * writers take. The data contract (libs/schemas) and the ingestor's decoder worker threads
 * import this entry point, so that a worker thread starts without loading DuckDB's native
 * binding. Everything else (log, storage, Parquet, scan, operations) is `@app/delta`, which
 * re-exports this too. Model: delta-rs's kernel/core split behind feature switches.
 */
export * from './errors';
export * from './schema/types';
export * from './protocol/actions';
export * from './protocol/protocol-support';
export * from './parquet/values';
export * from './parquet/column-batch';
export * from './storage/table-uri';
