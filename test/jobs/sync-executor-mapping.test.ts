import { describe, expect, it } from 'vitest';

import { parseColumnRule, syncGroups } from '../../src/jobs/executors/sync-executor.js';

describe('saved sync job → engine options', () => {
  it('runs tables with their own mode, filter or cursor as separate groups, with "*" as the defaults', () => {
    const groups = syncGroups({
      default_mode: 'upsert',
      selection: { tables: ['public.*'], exclude: ['public.tmp_*'] },
      table_options: {
        '*': { cursor_column: 'updated_at' },
        'public.orders': { mode: 'incremental' },
        'public.audit': { where: "created_at > '{{last_success_at}}'" },
        'public.users': { columns: { email: 'email' } },
      },
    });
    expect(groups).toEqual([
      { label: 'default', tables: ['public.*'], exclude: ['public.tmp_*', 'public.orders', 'public.audit'], mode: 'upsert', where: undefined, cursor: 'updated_at' },
      { label: 'public.orders', tables: ['public.orders'], exclude: undefined, mode: 'incremental', where: undefined, cursor: 'updated_at' },
      { label: 'public.audit', tables: ['public.audit'], exclude: undefined, mode: 'upsert', where: "created_at > '{{last_success_at}}'", cursor: 'updated_at' },
    ]);
  });

  it('maps the short column rules of the job form to engine strategies, and names a bad one', () => {
    expect(parseColumnRule('public.users', 'email', 'email')).toEqual({ match: 'public.users.email', strategy: 'unique_email', argument: undefined });
    expect(parseColumnRule('public.users', 'note', 'value:N/A: none')).toEqual({ match: 'public.users.note', strategy: 'value', argument: 'N/A: none' });
    expect(parseColumnRule('public.users', 'bio', 'truncate:20')).toMatchObject({ strategy: 'truncate', argument: '20' });
    expect(() => parseColumnRule('public.users', 'ssn', 'shred')).toThrow(/public\.users\.ssn: unknown rule "shred"/);
  });

  it('leaves out the default group when every listed table has its own options', () => {
    const groups = syncGroups({
      default_mode: 'incremental',
      selection: { tables: ['public.a', 'public.b'] },
      table_options: { 'public.a': { cursor_column: 'updated_at' }, 'public.b': { cursor_column: 'id' } },
    });
    expect(groups.map((group) => [group.label, group.mode, group.cursor])).toEqual([
      ['public.a', 'incremental', 'updated_at'],
      ['public.b', 'incremental', 'id'],
    ]);
  });
});
