'use strict';
/**
 * Worker thread of the gateway benchmark's new-version measure: sends the GET requests it is
 * given all at once and posts back each one's latency (ms, until the whole body is read) and
 * status. The client runs on an event loop of its own, as autocannon does, so the latencies are
 * not stretched by the gateway's work on the benchmark's main thread. Plain JS: ts-node is not
 * registered in worker threads.
 */
const { parentPort } = require('node:worker_threads');

parentPort.on('message', async ({ urls, headers }) => {
  const results = await Promise.all(
    urls.map(async (url) => {
      const started = performance.now();
      try {
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        return { ms: performance.now() - started, status: res.status };
      } catch (e) {
        return { ms: performance.now() - started, status: 0, error: String(e) };
      }
    }),
  );
  parentPort.postMessage(results);
});
