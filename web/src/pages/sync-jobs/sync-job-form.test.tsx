import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { mockFetch, renderUi } from '../../test/render.js';
import { BackupJobForm } from '../backup-jobs/backup-job-form.js';
import { SyncJobForm } from './sync-job-form.js';

afterEach(() => vi.unstubAllGlobals());

const src = '11111111-1111-4111-8111-111111111111';
const dst = '22222222-2222-4222-8222-222222222222';
const connections = {
  items: [
    { id: src, name: 'crm', protected: false },
    { id: dst, name: 'warehouse', protected: true },
  ],
  total: 2,
  page: 1,
  page_size: 200,
};

function api(extra: (url: string, init: RequestInit) => { status?: number; body?: unknown } | undefined = () => undefined) {
  return mockFetch((url, init) => {
    if (url.startsWith('/api/v1/connections?')) return { body: connections };
    if (url.startsWith('/api/v1/notification-channels?')) return { body: { items: [], total: 0, page: 1, page_size: 200 } };
    if (url.startsWith('/api/v1/storages?')) return { body: { items: [{ id: 'st-1', name: 'local' }], total: 1, page: 1, page_size: 500 } };
    if (url === `/api/v1/connections/${src}/schemas`) return { body: { items: [{ name: 'public', table_count: 2 }] } };
    return extra(url, init);
  });
}

async function choose(testId: string, option: string) {
  // Options appear once the list query answered; reopen until they do.
  const found = await waitFor(() => {
    fireEvent.click(screen.getByTestId(testId));
    return screen.getByRole('option', { name: option });
  });
  fireEvent.click(found);
}

describe('sync job form', () => {
  it('asks for the typed job name before saving a destructive mode, then sends the API body', async () => {
    const { calls } = api((url, init) => (url === '/api/v1/sync-jobs' && init.method === 'POST' ? { status: 201, body: { id: 'j1', name: 'nightly' } } : undefined));
    const onSaved = vi.fn();
    renderUi(<SyncJobForm onSaved={onSaved} onCancel={() => undefined} />);
    fireEvent.change(screen.getByRole('textbox', { name: /^Name/ }), { target: { value: 'nightly' } });
    await waitFor(() => expect(calls.some((call) => call.url.startsWith('/api/v1/connections?'))).toBe(true));
    await choose('source-select', 'crm');
    await choose('destination-select', 'warehouse (protected)');
    await choose('default-mode', 'Mirror (delete missing)');
    fireEvent.click(screen.getByRole('switch', { name: /^Copy grants/ }));
    fireEvent.click(screen.getByTestId('job-save'));
    const confirm = await screen.findByTestId('confirm-button');
    expect(confirm.hasAttribute('disabled')).toBe(true);
    expect(calls.some((call) => call.url === '/api/v1/sync-jobs')).toBe(false);
    fireEvent.change(screen.getByTestId('confirm-name-input'), { target: { value: 'nightly' } });
    fireEvent.click(confirm);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const post = calls.find((call) => call.url === '/api/v1/sync-jobs');
    expect(post?.body).toMatchObject({ name: 'nightly', source_connection_id: src, destination_connection_id: dst, default_mode: 'mirror', cron: null, selection: {}, copy_owners: false, copy_grants: true });
  });

  it('shows server field errors next to the fields', async () => {
    api((url) =>
      url === '/api/v1/sync-jobs'
        ? { status: 409, body: { error: { code: 'PGF_CONFLICT', message: 'a sync job named "x" exists', details: { fields: [{ field: 'body.name', message: 'a sync job named "x" exists; pick another name' }] } }, requestId: 'r' } }
        : undefined,
    );
    renderUi(<SyncJobForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(screen.getByRole('textbox', { name: /^Name/ }), { target: { value: 'x' } });
    await choose('source-select', 'crm');
    await choose('destination-select', 'warehouse (protected)');
    fireEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('a sync job named "x" exists; pick another name')).toBeTruthy();
    expect(screen.getByRole('textbox', { name: /^Name/ }).getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses the same source and destination before calling the API', async () => {
    const { calls } = api();
    renderUi(<SyncJobForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(screen.getByRole('textbox', { name: /^Name/ }), { target: { value: 'x' } });
    await choose('source-select', 'crm');
    await choose('destination-select', 'crm');
    fireEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('Must differ from the source')).toBeTruthy();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });
});

describe('backup job form', () => {
  it('needs a connection and a storage', async () => {
    const { calls } = api();
    renderUi(<BackupJobForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(screen.getByRole('textbox', { name: /^Name/ }), { target: { value: 'daily' } });
    fireEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('Pick at least one storage')).toBeTruthy();
    expect(screen.getByText('Required')).toBeTruthy();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });

  it('asks how often a physical job takes a full backup, and sends it only for format physical', async () => {
    const { calls } = api((url, init) => (url === '/api/v1/backup-jobs' && init.method === 'POST' ? { status: 201, body: { id: 'b1', name: 'cluster' } } : undefined));
    const onSaved = vi.fn();
    renderUi(<BackupJobForm onSaved={onSaved} onCancel={() => undefined} />);
    fireEvent.change(screen.getByRole('textbox', { name: /^Name/ }), { target: { value: 'cluster' } });
    await choose('backup-connection-select', 'crm');
    await choose('backup-storages-select', 'local');
    expect(screen.queryByTestId('backup-incremental-full-every')).toBeNull();
    await choose('backup-format-select', 'physical (whole cluster)');
    const every = await screen.findByTestId('backup-incremental-full-every');
    expect(screen.getByText('PostgreSQL 17+ with summarize_wal = on; every Nth run is a full backup')).toBeTruthy();
    fireEvent.change(every, { target: { value: '1' } });
    fireEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('Between 2 and 1000, or empty')).toBeTruthy();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
    fireEvent.change(every, { target: { value: '7' } });
    fireEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.find((call) => call.url === '/api/v1/backup-jobs')?.body).toMatchObject({ name: 'cluster', format: 'physical', incremental_full_every: 7 });
  });
});
