import type { Config } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { type Logger, createLogger } from '../logger.js';

export interface CliContext {
  config: Config;
  logger: Logger;
}

/** Configuration and a logger on stderr, so stdout stays for the command's own output. */
export function createCliContext(overrides: Record<string, string | undefined> = {}): CliContext {
  const config = loadConfig({ overrides });
  const logger = createLogger({
    level: config.LOG_LEVEL,
    destination: process.stderr.isTTY ? undefined : process.stderr,
    pretty: process.stderr.isTTY === true,
  });
  return { config, logger };
}
