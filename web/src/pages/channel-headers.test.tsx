import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Channel } from '../api/channels.js';
import { mockFetch, renderUi } from '../test/render.js';
import { headersPayload, validateHeaders } from './channel-headers.js';
import { ChannelForm } from './channels-page.js';

afterEach(() => vi.unstubAllGlobals());

const channel: Channel = {
  id: '00000000-0000-4000-8000-00000000000c',
  name: 'hook',
  kind: 'webhook',
  config: { url: 'https://hooks.example.com/in' },
  secrets_set: ['headers'],
  headers: [{ name: 'X-Api-Key', value_set: true }],
  events: ['failed'],
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

const patchAnswer = (url: string, init: RequestInit) => (url === `/api/v1/notification-channels/${channel.id}` && init.method === 'PATCH' ? { body: channel } : undefined);

describe('webhook headers in the channel form', () => {
  it('keeps stored header values when the channel is saved without retyping them', async () => {
    const { calls } = mockFetch(patchAnswer);
    const onDone = vi.fn();
    renderUi(<ChannelForm channel={channel} onDone={onDone} />);
    const row = screen.getByTestId('channel-header-row');
    expect((within(row).getByLabelText('Header name') as HTMLInputElement).value).toBe('X-Api-Key');
    expect(within(row).getByPlaceholderText('Stored — leave empty to keep')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Name/, { selector: 'input' }), { target: { value: 'hook-renamed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls[0]?.method).toBe('PATCH');
    const body = calls[0]?.body as { name: string; config: Record<string, unknown> };
    expect(body.name).toBe('hook-renamed');
    expect(body.config).not.toHaveProperty('headers');
  });

  it('sends a removed header as null and a new one with its value', async () => {
    const { calls } = mockFetch(patchAnswer);
    const onDone = vi.fn();
    renderUi(<ChannelForm channel={channel} onDone={onDone} />);
    fireEvent.click(within(screen.getByTestId('channel-header-row')).getByRole('button', { name: 'Remove' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    const row = screen.getByTestId('channel-header-row');
    fireEvent.change(within(row).getByLabelText('Header name'), { target: { value: 'X-Tenant' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    // A new header needs its value.
    expect(await screen.findByText('Required')).toBeTruthy();
    expect(calls).toHaveLength(0);
    fireEvent.change(within(row).getByLabelText('Header value'), { target: { value: 'acme' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect((calls[0]?.body as { config: Record<string, unknown> }).config.headers).toEqual({ 'X-Api-Key': null, 'X-Tenant': 'acme' });
  });

  it('checks names like the API and sends every header on create', () => {
    const rows = [
      { name: 'X-A', value: '1', stored: false },
      { name: 'x-a', value: '2', stored: false },
      { name: 'bad name', value: '3', stored: false },
    ];
    expect(validateHeaders({ rows, removed: [] })).toEqual({ 'headers.1.name': 'validation.headerDuplicate', 'headers.2.name': 'validation.headerName' });
    expect(headersPayload({ rows: [{ name: ' X-A ', value: 'v', stored: false }], removed: ['X-Old'] }, false)).toEqual({ 'X-A': 'v' });
    expect(headersPayload({ rows: [{ name: 'X-A', value: '', stored: true }], removed: [] }, true)).toBeUndefined();
  });
});
