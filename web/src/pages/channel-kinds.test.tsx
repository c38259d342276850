import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Channel } from '../api/channels.js';
import { mockFetch, renderUi } from '../test/render.js';
import ChannelsPage, { ChannelForm } from './channels-page.js';

afterEach(() => vi.unstubAllGlobals());

const stamp = { events: ['failed'], enabled: true, headers: [], created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
const ntfy: Channel = { id: '00000000-0000-4000-8000-0000000000a1', name: 'phones', kind: 'ntfy', config: { topic: 'pgferry-ops' }, secrets_set: ['token'], ...stamp };
const serviceUrl: Channel = { id: '00000000-0000-4000-8000-0000000000a2', name: 'apprise', kind: 'url', config: {}, secrets_set: ['url'], ...stamp };
const discord: Channel = { id: '00000000-0000-4000-8000-0000000000a3', name: 'chat', kind: 'discord', config: { username: 'pgferry' }, secrets_set: ['url'], ...stamp };

const answerPatch = (channel: Channel) => (url: string, init: RequestInit) =>
  url === `/api/v1/notification-channels/${channel.id}` && init.method === 'PATCH' ? { body: channel } : undefined;

describe('Discord, Mattermost, ntfy and service URL channels in the UI', () => {
  it('labels ntfy fields in Chinese and keeps the stored token when saved untouched', async () => {
    const { calls } = mockFetch(answerPatch(ntfy));
    const onDone = vi.fn();
    renderUi(<ChannelForm channel={ntfy} onDone={onDone} />, { language: 'zh-CN' });
    expect(screen.getByLabelText(/^主题/, { selector: 'input' })).toBeTruthy();
    expect(screen.getByLabelText(/^访问令牌/, { selector: 'input' })).toBeTruthy();
    expect(screen.getByText(/留空即使用 https:\/\/ntfy.sh/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^主题/, { selector: 'input' }), { target: { value: 'bad topic!' } });
    fireEvent.click(screen.getByRole('button', { name: '保存' }));
    expect(await screen.findByText('1 到 64 个字母、数字、- 或 _')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^主题/, { selector: 'input' }), { target: { value: 'pgferry-dba' } });
    fireEvent.click(screen.getByRole('button', { name: '保存' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect((calls[0]?.body as { config: Record<string, unknown> }).config).toEqual({ topic: 'pgferry-dba' });
  });

  it('checks a service URL has a scheme before saving it', async () => {
    const { calls } = mockFetch(answerPatch(serviceUrl));
    const onDone = vi.fn();
    renderUi(<ChannelForm channel={serviceUrl} onDone={onDone} />);
    const input = screen.getByLabelText(/^Service URL/, { selector: 'input' });
    expect(screen.getByText(/One Apprise-style URL: discord:\/\//)).toBeTruthy();
    fireEvent.change(input, { target: { value: 'ntfy.sh/topic' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Enter a service URL such as ntfy://host/topic')).toBeTruthy();
    fireEvent.change(input, { target: { value: 'ntfys://ntfy.example.com/ops' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect((calls[0]?.body as { config: Record<string, unknown> }).config).toEqual({ url: 'ntfys://ntfy.example.com/ops' });
  });

  it('lists the new kinds by their translated names', async () => {
    mockFetch((url) => (url.startsWith('/api/v1/notification-channels?') ? { body: { items: [ntfy, serviceUrl, discord], total: 3, page: 1, page_size: 50 } } : undefined));
    renderUi(<ChannelsPage />, { language: 'zh-CN' });
    expect(await screen.findByText('服务 URL（Apprise 风格）')).toBeTruthy();
    expect(screen.getByText('Discord')).toBeTruthy();
    expect(screen.getByText('ntfy')).toBeTruthy();
  });
});
