import type pg from 'pg';

import { connectionConfigFromUrl } from '../connection-config.js';

/**
 * Explicit fields instead of a connection string: pg lets a connectionString override the
 * fields, so switching `database` (per-database backups, CREATE DATABASE from `postgres`)
 * only works on a config without one.
 */
export function explicitConfig(config: pg.ClientConfig): pg.ClientConfig {
  if (!config.connectionString) return config;
  const { connectionString, ...rest } = config;
  return { ...connectionConfigFromUrl(connectionString), ...rest };
}
