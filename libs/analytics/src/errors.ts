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
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'InvalidTimeTravelError';
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
