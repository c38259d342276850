import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { ConfirmTypedName } from '../../components/confirm-typed-name.js';
import { columnRuleError } from '../../components/table-picker.js';
import { renderUi } from '../../test/render.js';
import type { SyncJob } from '../../api/sync-jobs.js';
import { destructiveModesIn, emptySyncJob, fromSyncJob, toSyncJobInput, validateSyncJob } from './sync-job-validation.js';

const src = '11111111-1111-4111-8111-111111111111';
const dst = '22222222-2222-4222-8222-222222222222';
const valid = { ...emptySyncJob, name: 'nightly', source_connection_id: src, destination_connection_id: dst };

describe('editing a saved sync job', () => {
  it('opens the schemas of its tables and saves its selection and globs unchanged', () => {
    const job = {
      ...toSyncJobInput(valid),
      id: 'j',
      selection: { tables: ['sales.orders', 'hr.staff'], exclude: ['sales.tmp_*'] },
      table_options: { 'sales.orders': { mode: 'upsert', key: ['order_no'] } },
    } as unknown as SyncJob;
    const values = fromSyncJob(job);
    expect(values.schemas).toEqual(['sales', 'hr']);
    expect(values.tables).toEqual(['sales.orders', 'hr.staff']);
    const saved = toSyncJobInput(values);
    expect(saved.selection).toEqual({ tables: ['sales.orders', 'hr.staff'], exclude: ['sales.tmp_*'] });
    expect(saved.table_options).toEqual({ 'sales.orders': { mode: 'upsert', key: ['order_no'] } });
  });
});

describe('sync job validation (mirrors syncJobCreateSchema)', () => {
  it('accepts a minimal job', () => {
    expect(validateSyncJob(valid)).toEqual({});
  });

  it('names every wrong field', () => {
    const errors = validateSyncJob({
      ...valid,
      name: ' ',
      destination_connection_id: src,
      parallelism: 65,
      retry_max: -1,
      retry_backoff_s: 0,
      timeout_s: 604801,
      cron: '61 * * * *',
    });
    expect(errors).toMatchObject({
      name: 'validation.required',
      destination_connection_id: 'validation.sameConnection',
      parallelism: 'validation.parallelism',
      retry_max: 'validation.retryMax',
      retry_backoff_s: 'validation.backoff',
      timeout_s: 'validation.timeout',
      cron: 'validation.cron',
    });
  });

  it('needs a cursor column for incremental tables', () => {
    const errors = validateSyncJob({ ...valid, tables: ['public.orders'], table_options: { 'public.orders': { mode: 'incremental' } } });
    expect(errors['table_options.public.orders']).toBe('validation.cursorNeeded');
    const withDefault = validateSyncJob({ ...valid, tables: ['public.orders'], table_options: { 'public.orders': { mode: 'incremental' }, '*': { cursor_column: 'updated_at' } } });
    expect(withDefault['table_options.public.orders']).toBeUndefined();
  });

  it('builds the API body: picked tables, cleaned per-table options', () => {
    const body = toSyncJobInput({
      ...valid,
      schemas: ['public'],
      tables: ['public.orders'],
      table_options: {
        'public.orders': { mode: 'incremental', cursor_column: 'updated_at', where: '  ', columns: { email: 'hash', '': 'x' } },
        'public.gone': { mode: 'full' },
        '*': { cursor_column: 'updated_at' },
      },
      timeout_s: '',
    });
    expect(body.selection).toEqual({ tables: ['public.orders'] });
    expect(body.table_options).toEqual({
      'public.orders': { mode: 'incremental', cursor_column: 'updated_at', columns: { email: 'hash' } },
      '*': { cursor_column: 'updated_at' },
    });
    expect(body.timeout_s).toBeNull();
    expect(body.cron).toBeNull();
  });

  it('flags destructive modes', () => {
    expect(destructiveModesIn(valid)).toEqual([]);
    expect(destructiveModesIn({ ...valid, table_options: { 'a.b': { mode: 'mirror' } } })).toEqual(['mirror']);
    expect(destructiveModesIn({ ...valid, default_mode: 'full' })).toEqual(['full']);
  });
});

describe('column rules', () => {
  it('accepts the rules the API knows and names the wrong ones', () => {
    // Every rule the server accepts, the editor accepts (one grammar: src/engine/sync/rule-grammar.ts).
    for (const rule of ['null', 'untouched', 'hash', 'email', 'unique_email', 'unique_phone', 'unique_secret', 'value:N/A', 'truncate:20', 'sql:upper(name)', 'random_int', 'random_int:18,90', 'random_date', 'random_ip']) {
      expect(columnRuleError(rule), rule).toBeUndefined();
    }
    expect(columnRuleError('random_int:9,1')).toBe('validation.columnRuleArgument');
    expect(columnRuleError('mask')).toBe('validation.columnRule');
    expect(columnRuleError('truncate:abc')).toBe('validation.columnRuleArgument');
    expect(columnRuleError('value:')).toBe('validation.columnRuleArgument');
  });
});

describe('typed-name confirmation', () => {
  it('enables the button only when the exact name is typed', () => {
    const onConfirm = vi.fn();
    renderUi(<ConfirmTypedName opened name="nightly" message="rows will be deleted" onConfirm={onConfirm} onClose={() => undefined} />);
    const button = screen.getByTestId('confirm-button');
    expect(button.hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByTestId('confirm-name-input'), { target: { value: 'Nightly' } });
    expect(button.hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByTestId('confirm-name-input'), { target: { value: 'nightly' } });
    expect(button.hasAttribute('disabled')).toBe(false);
    fireEvent.click(button);
    expect(onConfirm).toHaveBeenCalledWith('nightly');
  });
});
