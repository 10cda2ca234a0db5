import { AppProcess } from './app-process';

export interface IngestorOptions {
  brokers: string;
  /** The lakehouse the ingestor writes bronze and quarantine into. */
  root: string;
  /** Read with a consumer group of its own, `<topic>-group`. */
  topic: string;
  /** The spec's processes, stopped by its afterEach: the ingestor joins them before it is waited for, so a failed start is stopped too. */
  running: AppProcess[];
  /** Added to the variables above, or overriding them. */
  env?: Record<string, string>;
}

/**
 * A real apps/bronze-ingestor process, healthy, flushing every 200 ms so that specs wait little
 * for their sales to land.
 */
export async function startIngestor({ brokers, root, topic, running, env = {} }: IngestorOptions): Promise<AppProcess> {
  const app = await AppProcess.start('bronze-ingestor', {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `${topic}-group`,
    LAKEHOUSE_ROOT: root,
    FLUSH_MAX_LATENCY: '200ms',
    ...env,
  });
  running.push(app);
  // Generous: ts-node compiles the app at start, which takes long on a loaded machine.
  await app.waitHealthy(240_000);
  return app;
}
