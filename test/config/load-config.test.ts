import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load-config.js';
import { PgferryError } from '../../src/errors/pgferry-error.js';

const noDotenv = '/nonexistent-dir-for-tests';

function configError(env: Record<string, string>): PgferryError {
  try {
    loadConfig({ env, cwd: noDotenv });
  } catch (error) {
    if (error instanceof PgferryError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('fills every default and freezes the result', () => {
    const config = loadConfig({ env: {}, cwd: noDotenv });
    expect(config.PORT).toBe(7910);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.PGFERRY_SCHEMA_MODE).toBe('auto');
    expect(config.PGFERRY_HOME).toBe(path.resolve(noDotenv, '.pgferry'));
    expect(config.PGFERRY_CORS_ORIGINS).toEqual([]);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every bad variable in one message, with what it expects', () => {
    const error = configError({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      PGFERRY_SCHEMA_MODE: 'sometimes',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      PGFERRY_CORS_ORIGINS: 'not a url',
    });
    expect(error.code).toBe('PGF_CONFIG_INVALID');
    expect(error.message).toMatch(/5 variables/);
    expect(error.message).toMatch(/PORT: expected an integer between 0 and 65535 \(got "eighty"\)/);
    expect(error.message).toMatch(/LOG_LEVEL: .*"info"/);
    expect(error.message).toMatch(/PGFERRY_SCHEMA_MODE: .*"auto".*"migrations"/);
    expect(error.message).toMatch(/DATABASE_URL: expected a postgres:\/\//);
    expect(error.message).toMatch(/PGFERRY_CORS_ORIGINS/);
    expect(error.details?.variables).toEqual(
      expect.arrayContaining(['PORT', 'LOG_LEVEL', 'PGFERRY_SCHEMA_MODE', 'DATABASE_URL', 'PGFERRY_CORS_ORIGINS']),
    );
  });

  it('never echoes the value of a secret variable', () => {
    const error = configError({ DATABASE_URL: 'nonsense-with-hunter2', PGFERRY_ENCRYPTION_KEY: 'short-hunter3' });
    expect(error.message).toMatch(/DATABASE_URL/);
    expect(error.message).toMatch(/PGFERRY_ENCRYPTION_KEY: expected 32 bytes/);
    expect(error.message).not.toMatch(/hunter2|hunter3/);
  });

  it('treats an empty PGFERRY_METRICS_TOKEN as unset and refuses a short one without echoing it', () => {
    expect(loadConfig({ env: { PGFERRY_METRICS_TOKEN: '' }, cwd: noDotenv }).PGFERRY_METRICS_TOKEN).toBeUndefined();
    expect(() => loadConfig({ env: { PGFERRY_METRICS_TOKEN: 'short-secret' }, cwd: noDotenv })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('short-secret') }));
  });

  it('accepts a hex or base64 key and rejects one of the wrong length', () => {
    expect(loadConfig({ env: { PGFERRY_ENCRYPTION_KEY: 'ab'.repeat(32) }, cwd: noDotenv }).PGFERRY_ENCRYPTION_KEY).toBeDefined();
    expect(
      loadConfig({ env: { PGFERRY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }, cwd: noDotenv }).PGFERRY_ENCRYPTION_KEY,
    ).toBeDefined();
    expect(configError({ PGFERRY_ENCRYPTION_KEY: 'ab'.repeat(31) }).message).toMatch(/PGFERRY_ENCRYPTION_KEY/);
  });

  it('reads .env, lets the environment win over it and flags win over both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-env-'));
    writeFileSync(path.join(dir, '.env'), 'PORT=8001\nHOST=0.0.0.0\nLOG_LEVEL=debug\n');
    const config = loadConfig({ env: { PORT: '8002' }, cwd: dir, overrides: { LOG_LEVEL: 'warn' } });
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.PORT).toBe(8002);
    expect(config.LOG_LEVEL).toBe('warn');
  });

  it('splits CORS origins', () => {
    const config = loadConfig({ env: { PGFERRY_CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' }, cwd: noDotenv });
    expect(config.PGFERRY_CORS_ORIGINS).toEqual(['https://a.example.com', 'http://localhost:5173']);
  });
});
