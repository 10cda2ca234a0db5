import pLimit from 'p-limit';
import { withConnection } from '@app/delta';

/**
 * The gateway's DuckDB statements run at most this many at once. Each one runs on a thread of
 * libuv's pool (UV_THREADPOOL_SIZE, 4 by default), which file-system calls use too: with every
 * thread running a query, the stat that looks for new commits, which every request of a table
 * waits for once per refresh interval (cached answers included), would queue behind all the
 * queries waiting for a thread. One thread is left to the file system; the statements beyond
 * wait here, and reuse the connections already open instead of opening one each.
 */
const QUERY_SLOTS = Math.max(1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1);
const slots = pLimit(QUERY_SLOTS);

/** withConnection (libs/delta) within one of the query slots. */
export function withQuerySlot<T>(fn: Parameters<typeof withConnection<T>>[0]): Promise<T> {
  return slots(() => withConnection(fn));
}
