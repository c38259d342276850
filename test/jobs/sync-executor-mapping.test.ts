import { describe, expect, it } from 'vitest';

import { jobSyncScope, parseColumnRule } from '../../src/jobs/sync-job-scope.js';

describe('saved sync job → engine options', () => {
  it('is one engine call: the selection, the job mode, and per-table options with "*" first', () => {
    const scope = jobSyncScope({
      default_mode: 'upsert',
      selection: { tables: ['public.*'], exclude: ['public.tmp_*'] },
      table_options: {
        'public.orders': { mode: 'incremental', key: ['order_no'] },
        '*': { cursor_column: 'updated_at' },
        'public.audit': { where: "created_at > '{{last_success_at}}'" },
        'public.users': { columns: { email: 'email' } },
      },
    });
    expect(scope).toMatchObject({ tables: ['public.*'], exclude: ['public.tmp_*'], mode: 'upsert' });
    expect(scope.tableOptions).toEqual([
      { match: '*', mode: undefined, where: undefined, cursor: 'updated_at', key: undefined },
      { match: 'public.orders', mode: 'incremental', where: undefined, cursor: undefined, key: ['order_no'] },
      { match: 'public.audit', mode: undefined, where: "created_at > '{{last_success_at}}'", cursor: undefined, key: undefined },
    ]);
    expect(scope.rules).toEqual([{ match: 'public.users.email', strategy: 'unique_email', argument: undefined }]);
  });

  it('maps the short column rules of the job form to engine strategies, and names a bad one', () => {
    expect(parseColumnRule('public.users', 'email', 'email')).toEqual({ match: 'public.users.email', strategy: 'unique_email', argument: undefined });
    expect(parseColumnRule('public.users', 'note', 'value:N/A: none')).toEqual({ match: 'public.users.note', strategy: 'value', argument: 'N/A: none' });
    expect(parseColumnRule('public.users', 'bio', 'truncate:20')).toMatchObject({ strategy: 'truncate', argument: '20' });
    expect(() => parseColumnRule('public.users', 'ssn', 'shred')).toThrow(/public\.users\.ssn: unknown rule "shred"/);
  });
});
