import { INestApplication, Logger } from '@nestjs/common';
import { ConfigError } from './config/env';

/**
 * Runs an app's bootstrap: a configuration error stops start-up with the variables named and
 * exit code 78 (EX_CONFIG); anything else is logged and exits 1.
 */
export function runApp(name: string, bootstrap: () => Promise<INestApplication>): void {
  bootstrap().catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ level: 'fatal', context: name, message: e.message, problems: e.problems }) + '\n');
      process.exit(78);
    }
    new Logger(name).fatal(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(1);
  });
}
