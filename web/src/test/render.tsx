import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';

import type { Me } from '../api/auth.js';
import { type Language, createI18n } from '../i18n/i18n.js';
import { MeContext } from '../lib/me-context.js';
import { Providers, createQueryClient } from '../providers.js';

export const adminMe: Me = {
  id: '00000000-0000-4000-8000-000000000001',
  username: 'admin',
  display_name: null,
  role: 'admin',
  disabled: false,
  disabled_at: null,
  last_login_at: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

/** Renders inside the app's real providers (i18n, Mantine, Query, router, signed-in user). */
export function renderUi(ui: ReactElement, options: { language?: Language; me?: Me } = {}) {
  const i18n = createI18n(options.language ?? 'en');
  const queryClient = createQueryClient();
  const result = render(
    <Providers i18n={i18n} queryClient={queryClient} env="test">
      <MemoryRouter>
        <MeContext.Provider value={options.me ?? adminMe}>{ui}</MeContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
  return { ...result, i18n, queryClient };
}

type Handler = (url: string, init: RequestInit) => { status?: number; body?: unknown } | undefined;

/** A fetch stand-in answering JSON per URL; records every call for assertions. */
export function mockFetch(handler: Handler) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    calls.push({ url, method, body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body });
    const answer = handler(url, init) ?? { status: 404, body: { error: { code: 'PGF_ROUTE_NOT_FOUND', message: 'not mocked' }, requestId: 'test' } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fn };
}
