/**
 * Failures of an analytics query that callers turn into HTTP answers. The library stays free of
 * Nest: the gateway maps each class to a status code in one exception filter.
 */

/** A silver (or bronze) table has not been written yet: the answer will exist later (503). */
export class TableUnavailableError extends Error {
  constructor(readonly table: string) {
    super(`the table ${table} is not available yet (it has not been computed); retry later`);
    this.name = 'TableUnavailableError';
  }
}

/** A time-travel parameter points to no readable version (400, naming the parameter). */
export class InvalidTimeTravelError extends Error {
  constructor(
    readonly parameter: 'asOfVersion' | 'asOfTimestamp',
    message: string,
    /** What the library reported, for the log: the message above is what the client sees. */
    override readonly cause?: Error,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'InvalidTimeTravelError';
  }
}

/** A query would read more rows than the configured bound (400, naming the parameters that narrow it). */
export class QueryTooLargeError extends Error {
  constructor(
    readonly parameters: string[],
    rows: number,
    maxRows: number,
  ) {
    super(`${parameters.join(' and ')}: the query would scan ${rows} rows, more than the ${maxRows} allowed; narrow ${parameters.join(' and ')}`);
    this.name = 'QueryTooLargeError';
  }
}

/** The client has no row in the table version queried (404). */
export class ClientNotFoundError extends Error {
  constructor(
    readonly clientId: number,
    table: string,
    version: number,
  ) {
    super(`client ${clientId} not found in ${table} (version ${version})`);
    this.name = 'ClientNotFoundError';
  }
}
