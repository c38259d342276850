import { createRequire } from 'node:module';

import pino, { type DestinationStream, type Logger } from 'pino';
import type pretty from 'pino-pretty';

// Loaded only for a terminal: every CLI command creates a logger, few of them on a TTY.
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof pretty;

export type { Logger } from 'pino';

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const redactedPaths = [
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'secretAccessKey',
  '*.secretAccessKey',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'databaseUrl',
  'connectionString',
  '*.connectionString',
];

export interface CreateLoggerOptions {
  level: string;
  /** Defaults to stdout; tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /** Human-readable lines; defaults to whether stdout is a TTY. */
  pretty?: boolean;
}

/** JSON lines for machines, colourised lines on a terminal. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = { level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  if (usePretty) {
    return pino(base, loadPretty()({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(base, options.destination ?? pino.destination({ sync: false }));
}
