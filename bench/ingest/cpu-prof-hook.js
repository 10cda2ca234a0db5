/*
 * Preloaded (NODE_OPTIONS=--require) into the ingestor by ingest.bench.ts when INGEST_CPU_PROF is
 * set: --cpu-prof is refused in NODE_OPTIONS, and Nest re-raises SIGTERM after its shutdown hooks,
 * so the process never runs 'exit' handlers. This starts the V8 profiler at load and writes
 * <INGEST_CPU_PROF>/ingestor-<pid>.cpuprofile on the first SIGTERM (then lets Nest shut down).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const inspector = require('inspector');

const dir = process.env.INGEST_CPU_PROF;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.INGEST_CPU_PROF_INTERVAL_US || 1000) });
  session.post('Profiler.start');
  const write = () => {
    process.removeListener('SIGTERM', write);
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `ingestor-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  process.on('SIGTERM', write);
}
