import { describe, expect, it } from 'vitest';

import {
  clientConfigFromFields,
  connectionConfigFromUrl,
  connectionUrlWithoutPassword,
  describeTarget,
  parseConnectionUrl,
} from '../../src/engine/connection-config.js';
import { classifyConnectionError } from '../../src/engine/connection-test/classify-connection-error.js';

const secret = 'S3cr3t-p@ss/word';

describe('connection URLs', () => {
  it('parses every part, decoding %-escapes', () => {
    const fields = parseConnectionUrl(
      `postgresql://app%20user:${encodeURIComponent(secret)}@db.example.com:6543/sales%2Fdb?sslmode=verify-full&application_name=etl&connect_timeout=7&options=-c%20statement_timeout%3D0`,
    );
    expect(fields).toEqual({
      host: 'db.example.com',
      port: 6543,
      database: 'sales/db',
      user: 'app user',
      password: secret,
      sslmode: 'verify-full',
      application_name: 'etl',
      connect_timeout: 7,
      options: '-c statement_timeout=0',
    });
  });

  it('defaults port 5432 and sslmode prefer; handles IPv6 hosts', () => {
    expect(parseConnectionUrl('postgres://u@[::1]/d')).toMatchObject({ host: '::1', port: 5432, sslmode: 'prefer', password: undefined });
    expect(describeTarget(parseConnectionUrl('postgres://u@[::1]/d'))).toBe('u@[::1]:5432/d');
  });

  it.each([
    ['mysql://u@h/d', 'url: expected a postgres://'],
    ['postgres://u@h:70000/d', 'url port: expected an integer between 1 and 65535'],
    ['postgres://u@h:0/d', 'url port'],
    ['postgres://u@h:abc/d', 'url port'],
    ['postgres://u@h/d?sslmode=sometimes', 'url parameter sslmode: expected one of'],
    ['postgres://u@h/d?bogus=1', 'url parameter bogus: is not supported'],
    ['postgres://u@h/d?connect_timeout=0', 'url connect_timeout'],
    ['postgres://u@h/', 'url: has no database name'],
    ['postgres://h/d', 'url: has no user name'],
    [`postgres://u@${'h'.repeat(300)}/d`, 'url host: is longer than 255'],
  ])('refuses %s naming the part', (url, message) => {
    expect(() => parseConnectionUrl(url)).toThrow(message);
  });

  it('never echoes the URL (or its password) in an error', () => {
    try {
      parseConnectionUrl(`postgres://u:${secret}@h:99999/d`);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
      expect((error as Error).message).not.toContain('postgres://u:');
    }
  });
});

describe('pg.ClientConfig mapping', () => {
  it('maps sslmode to node-postgres ssl settings', () => {
    const base = { host: 'h', port: 5432, database: 'd', user: 'u' } as const;
    expect(clientConfigFromFields({ ...base, sslmode: 'prefer' }).ssl).toBe(false);
    expect(clientConfigFromFields({ ...base, sslmode: 'disable' }).ssl).toBe(false);
    expect(clientConfigFromFields({ ...base, sslmode: 'require' }).ssl).toEqual({ rejectUnauthorized: false });
    expect(clientConfigFromFields({ ...base, sslmode: 'verify-full' }).ssl).toMatchObject({ rejectUnauthorized: true, servername: 'h' });
    const verifyCa = clientConfigFromFields({ ...base, sslmode: 'verify-ca' }).ssl as { rejectUnauthorized: boolean };
    expect(verifyCa.rejectUnauthorized).toBe(true);
  });

  it('builds a config from a URL with timeout in ms and a default application_name', () => {
    const config = connectionConfigFromUrl(`postgres://u:${encodeURIComponent(secret)}@h:5433/d?connect_timeout=3`);
    expect(config).toMatchObject({ host: 'h', port: 5433, database: 'd', user: 'u', password: secret, connectionTimeoutMillis: 3000, application_name: 'pgferry' });
    expect(describeTarget(config)).toBe('u@h:5433/d');
    expect(describeTarget(config)).not.toContain(secret);
    expect(describeTarget({ connectionString: `postgres://u:${encodeURIComponent(secret)}@h:5433/d` })).toBe('u@h:5433/d');
    expect(describeTarget({ connectionString: 'not a url' })).toBe('(default user)@localhost:5432/(default database)');
  });

  it('renders a URL without the password', () => {
    const fields = parseConnectionUrl(`postgres://u:${encodeURIComponent(secret)}@h/d?sslmode=require`);
    const url = connectionUrlWithoutPassword(fields);
    expect(url).toBe('postgres://u@h:5432/d?sslmode=require');
    expect(parseConnectionUrl(url)).toMatchObject({ ...fields, password: undefined });
  });
});

describe('classifying connection failures', () => {
  const config = connectionConfigFromUrl(`postgres://etl:${encodeURIComponent(secret)}@db.internal:5432/sales`);
  const classify = (error: unknown, overrides = {}) => classifyConnectionError(error, { ...config, ...overrides }, 5000);
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it.each([
    [withCode('ENOTFOUND'), 'PGF_CONNECTION_HOST_NOT_FOUND', 'does not resolve'],
    [withCode('EAI_AGAIN'), 'PGF_CONNECTION_HOST_NOT_FOUND', 'DNS'],
    [withCode('EHOSTUNREACH'), 'PGF_CONNECTION_HOST_UNREACHABLE', 'no network route'],
    [Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), {}), 'PGF_CONNECTION_REFUSED', 'listen_addresses'],
    [new Error('timeout expired'), 'PGF_CONNECTION_TIMEOUT', 'no answer within 5 s'],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'PGF_CONNECTION_TIMEOUT', 'connect_timeout'],
    [withCode('28P01', 'password authentication failed for user "etl"'), 'PGF_CONNECTION_AUTH_FAILED', 'password'],
    [withCode('28000', 'no pg_hba.conf entry for host "10.0.0.1", user "etl", database "sales", no encryption'), 'PGF_CONNECTION_SSL_REQUIRED', 'sslmode=require'],
    [withCode('28000', 'role "etl" does not exist'), 'PGF_CONNECTION_AUTH_FAILED', 'pg_hba.conf'],
    [withCode('3D000', 'database "sales" does not exist'), 'PGF_CONNECTION_DATABASE_NOT_FOUND', 'CREATE DATABASE'],
    [new Error('The server does not support SSL connections'), 'PGF_CONNECTION_SSL_REFUSED', 'sslmode=prefer'],
    [withCode('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'PGF_CONNECTION_SSL_REFUSED', 'certificate'],
    [withCode('53300', 'sorry, too many clients already'), 'PGF_CONNECTION_TOO_MANY', 'max_connections'],
    [withCode('42501', 'permission denied for database "sales"'), 'PGF_CONNECTION_PRIVILEGE', 'GRANT CONNECT'],
    [new Error('Connection terminated unexpectedly'), 'PGF_CONNECTION_FAILED', 'not a proxy'],
  ])('%s → %s', (error, code, hint) => {
    const classified = classify(error);
    expect(classified.code).toBe(code);
    expect(classified.message).toContain('etl@db.internal:5432/sales');
    expect(classified.message).toContain(hint);
    expect(classified.message).not.toContain(secret);
    expect(classified.details).toMatchObject({ host: 'db.internal', port: 5432, database: 'sales', user: 'etl' });
    expect(JSON.stringify(classified.details)).not.toContain(secret);
  });

  it('does not call a refused login "SSL required" when SSL was already on', () => {
    const error = withCode('28000', 'no pg_hba.conf entry for host "10.0.0.1", user "etl", database "sales", SSL encryption');
    expect(classify(error, { ssl: { rejectUnauthorized: false } }).code).toBe('PGF_CONNECTION_AUTH_FAILED');
  });

  it('scrubs a password that a server message echoes', () => {
    const classified = classify(new Error(`weird failure mentioning ${secret}`));
    expect(classified.code).toBe('PGF_CONNECTION_FAILED');
    expect(classified.message).not.toContain(secret);
  });
});
