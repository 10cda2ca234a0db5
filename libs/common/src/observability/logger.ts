import { ConsoleLogger, LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Structured logs: one JSON object per line, with the app name, for log shippers. */
export function jsonLogger(app: string, level: string): ConsoleLogger {
  const idx = Math.max(0, LEVELS.indexOf(level as LogLevel));
  return new ConsoleLogger(app, { json: true, logLevels: LEVELS.slice(0, idx + 1), colors: false });
}
