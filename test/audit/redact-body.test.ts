import { describe, expect, it } from 'vitest';

import { deriveAuditAction } from '../../src/audit/audit-action.js';
import { redactBody } from '../../src/audit/redact-body.js';

describe('redactBody', () => {
  it('replaces secret fields at any depth and keeps the rest', () => {
    const body = {
      name: 'prod',
      password: 'p1',
      nested: { secret_access_key: 'k1', list: [{ token: 't1', keep: 1 }, { apiKey: 'k2' }], deeper: { a: { b: { webhook_secret: 's1' } } } },
      database_url: 'postgres://u:pw@host/db',
      notes: 'see postgres://admin:hunter2@db.internal:5432/app',
      empty_password: '',
      count: 3,
      flag: true,
      nothing: null,
    };
    const redacted = redactBody(body) as Record<string, unknown>;
    const text = JSON.stringify(redacted);
    for (const secret of ['p1', 'k1', 't1', 'k2', 's1', ':pw@', 'hunter2']) expect(text).not.toContain(secret);
    expect(redacted).toMatchObject({ name: 'prod', count: 3, flag: true, nothing: null, password: '[redacted]' });
    expect((redacted.nested as { list: Array<{ keep?: number }> }).list[0]?.keep).toBe(1);
    expect(redacted.notes).toContain('admin:[redacted]@db.internal');
  });

  it('hides every value of a headers object whatever the header is called, keeping the names', () => {
    const redacted = redactBody({ config: { events: 'x', headers: { 'X-Tenant': 'tenant-secret', 'X-Gone': null, Authorization: 'Bearer abc' } } });
    expect(redacted).toEqual({ config: { events: 'x', headers: { 'X-Tenant': '[redacted]', 'X-Gone': null, Authorization: '[redacted]' } } });
    expect(JSON.stringify(redactBody({ headers: [['X-Tenant', 'tenant-secret']] }))).not.toContain('tenant-secret');
    expect(JSON.stringify(redactBody({ headers: 'X-Tenant: tenant-secret' }))).not.toContain('tenant-secret');
  });

  it('bounds long strings, long arrays and deep nesting', () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 50; i += 1) {
      cursor.next = {};
      cursor = cursor.next as Record<string, unknown>;
    }
    expect(JSON.stringify(redactBody(deep))).toContain('[too deep]');
    expect((redactBody('x'.repeat(10_000)) as string).length).toBeLessThan(2100);
    expect((redactBody(Array.from({ length: 1000 }, (_, i) => i)) as unknown[]).length).toBe(201);
    expect(redactBody({ file: new (class Upload {})(), when: new Date(0) })).toEqual({ file: '[Upload]', when: '1970-01-01T00:00:00.000Z' });
  });
});

describe('deriveAuditAction', () => {
  it('names create, update, delete and action routes', () => {
    expect(deriveAuditAction('POST', '/api/v1/connections', 'connection')).toBe('connection.create');
    expect(deriveAuditAction('PATCH', '/api/v1/connections/:id', 'connection')).toBe('connection.update');
    expect(deriveAuditAction('PUT', '/api/v1/connections/:id', 'connection')).toBe('connection.update');
    expect(deriveAuditAction('DELETE', '/api/v1/connections/:id', 'connection')).toBe('connection.delete');
    expect(deriveAuditAction('POST', '/api/v1/sync-jobs/:id/run', 'sync_job')).toBe('sync_job.run');
    expect(deriveAuditAction('POST', '/api/v1/connections/test', 'connection')).toBe('connection.test');
    expect(deriveAuditAction('POST', '/api/v1/runs/:id/cancel', undefined)).toBe('runs.cancel');
    expect(deriveAuditAction('GET', '/api/v1/backups/:id/download', 'backup')).toBe('backup.download');
    expect(deriveAuditAction('GET', '/api/v1/backups/:id', 'backup')).toBe('backup.read');
  });
});
