import { configureDuckDB, withConnection } from './duckdb';

// The DuckDB instance is made once per process (per test file under jest): these tests run in order.
describe('configureDuckDB', () => {
  it('refuses a thread count that is not a positive integer', () => {
    expect(() => configureDuckDB({ threads: 0 })).toThrow('threads must be a positive integer, got 0');
    expect(() => configureDuckDB({ threads: 1.5 })).toThrow('threads must be a positive integer, got 1.5');
  });

  it('sets the threads of the instance made at first use, and refuses once it is made', async () => {
    configureDuckDB({ threads: 1 });
    const threads = await withConnection(async (conn) => (await conn.runAndReadAll(`SELECT current_setting('threads') AS t`)).getRowObjectsJS()[0].t);
    expect(Number(threads)).toBe(1);
    expect(() => configureDuckDB({ threads: 2 })).toThrow('DuckDB is already started in this process');
  });
});
