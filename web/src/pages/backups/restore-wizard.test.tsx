import { describe, expect, it } from 'vitest';

import { restoreBody } from './restore-wizard.js';

const id = '11111111-1111-4111-8111-111111111111';

describe('restore wizard body (mirrors restoreBodySchema of POST /api/v1/backups/:id/restore)', () => {
  it('a new database sends create with its name, never clean or confirm_name', () => {
    expect(restoreBody(id, 'create', 'shop_restored', 'shop_restored')).toEqual({ connection_id: id, create: true, database: 'shop_restored' });
  });

  it('a clean restore sends the typed connection name as confirm_name', () => {
    expect(restoreBody(id, 'clean', 'ignored', 'staging')).toEqual({ connection_id: id, clean: true, confirm_name: 'staging' });
  });

  it('into the existing database sends the connection alone', () => {
    expect(restoreBody(id, 'existing', 'ignored', 'staging')).toEqual({ connection_id: id });
  });

  it('sends trust_unsigned only when ticked', () => {
    expect(restoreBody(id, 'create', 'db', 'db', true)).toEqual({ connection_id: id, create: true, database: 'db', trust_unsigned: true });
    expect(restoreBody(id, 'create', 'db', 'db', false)).not.toHaveProperty('trust_unsigned');
  });
});
