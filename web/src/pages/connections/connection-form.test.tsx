import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { mockFetch, renderUi } from '../../test/render.js';
import { ConnectionForm } from './connection-form.js';
import { emptyConnection, toConnectionInput, validateConnection } from './connection-validation.js';

afterEach(() => vi.unstubAllGlobals());

function field(label: RegExp) {
  return screen.getByLabelText(label, { selector: 'input' });
}

describe('connection form', () => {
  it('shows client-side errors next to the fields and sends nothing', async () => {
    const { calls } = mockFetch(() => undefined);
    renderUi(<ConnectionForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(field(/^Port/), { target: { value: '70000' } });
    fireEvent.click(screen.getByTestId('connection-save'));
    expect(await screen.findAllByText('Required')).toHaveLength(4); // name, host, database, user
    expect(screen.getByText('A port between 1 and 65535')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('puts server field errors (details.fields) next to the matching inputs', async () => {
    const { calls } = mockFetch((url, init) =>
      url === '/api/v1/connections' && init.method === 'POST'
        ? {
            status: 400,
            body: {
              error: {
                code: 'PGF_VALIDATION_FAILED',
                message: 'invalid request: body.name: a connection named "prod" exists',
                details: { fields: [{ field: 'body.name', message: 'a connection named "prod" exists' }, { field: 'body.user', message: 'bad user' }] },
              },
              requestId: 'r1',
            },
          }
        : undefined,
    );
    const onSaved = vi.fn();
    renderUi(<ConnectionForm onSaved={onSaved} onCancel={() => undefined} />);
    fireEvent.change(field(/^Name/), { target: { value: 'prod' } });
    fireEvent.change(field(/^Host/), { target: { value: 'db.example' } });
    fireEvent.change(field(/^Database/), { target: { value: 'app' } });
    fireEvent.change(field(/^User/), { target: { value: 'app' } });
    fireEvent.change(screen.getByLabelText(/^Password/), { target: { value: 's3cret-Pw' } });
    fireEvent.click(screen.getByTestId('connection-save'));
    expect(await screen.findByText('a connection named "prod" exists')).toBeTruthy();
    // The API's `user` field error lands under the form's User input.
    const userInput = field(/^User/);
    expect(userInput.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('bad user')).toBeTruthy();
    expect(onSaved).not.toHaveBeenCalled();
    expect(calls[0]?.body).toMatchObject({ name: 'prod', host: 'db.example', port: 5432, database: 'app', user: 'app', password: 's3cret-Pw', sslmode: 'prefer' });
  });

  it('tests unsaved values and shows the classified failure', async () => {
    mockFetch((url) =>
      url === '/api/v1/connections/test'
        ? { body: { ok: false, target: 'app@db.example:5432/app', server_version: null, latency_ms: null, database_size_bytes: null, error: { code: 'PGF_CONNECTION_REFUSED', message: 'db.example:5432 refused the connection; is PostgreSQL listening?' } } }
        : undefined,
    );
    renderUi(<ConnectionForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.click(screen.getByText('URL'));
    fireEvent.change(field(/^Name/), { target: { value: 'x' } });
    fireEvent.change(field(/^Connection URL/), { target: { value: 'mysql://nope' } });
    fireEvent.click(screen.getByTestId('connection-test'));
    expect(await screen.findByText('Enter a URL like postgres://user@host:5432/db')).toBeTruthy();
    fireEvent.change(field(/^Connection URL/), { target: { value: 'postgres://app@db.example/app' } });
    fireEvent.click(screen.getByTestId('connection-test'));
    const result = await screen.findByTestId('connection-test-result');
    expect(result.getAttribute('data-ok')).toBe('false');
    expect(within(result).getByText('PGF_CONNECTION_REFUSED')).toBeTruthy();
    expect(within(result).getByTestId('error-message').textContent).toBe('Nothing accepts connections on this host and port; check that PostgreSQL runs and listens there.');
    expect(within(result).getByTestId('error-details').textContent).toBe('db.example:5432 refused the connection; is PostgreSQL listening?');
  });

  it('shows a server error in 简体中文 from its code, the server text as details', async () => {
    mockFetch((url) => (url === '/api/v1/connections' ? { status: 409, body: { error: { code: 'PGF_CONFLICT', message: 'a connection named "x" already exists; pick another name' } } } : undefined));
    renderUi(<ConnectionForm onSaved={() => undefined} onCancel={() => undefined} />, { language: 'zh-CN' });
    fireEvent.change(field(/^名称/), { target: { value: 'x' } });
    fireEvent.change(field(/^主机/), { target: { value: 'h' } });
    fireEvent.change(field(/^数据库/), { target: { value: 'd' } });
    fireEvent.change(field(/^用户/), { target: { value: 'u' } });
    fireEvent.click(screen.getByTestId('connection-save'));
    const alert = await screen.findByTestId('form-error');
    expect(within(alert).getByTestId('error-message').textContent).toBe('与当前状态冲突（例如名称已被使用）。');
    expect(within(alert).getByTestId('error-details').textContent).toBe('a connection named "x" already exists; pick another name');
  });

  it('carries the values across URL ↔ fields and drops a test result once a value changes', async () => {
    mockFetch((url) =>
      url === '/api/v1/connections/test' ? { body: { ok: true, target: 'app@db.example:6432/sales', server_version: '16.2', latency_ms: 3, database_size_bytes: 1024 } } : undefined,
    );
    renderUi(<ConnectionForm onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(field(/^Name/), { target: { value: 'sales' } });
    fireEvent.click(screen.getByText('URL'));
    fireEvent.change(field(/^Connection URL/), { target: { value: 'postgresql://app:s%40cret@db.example:6432/sales?sslmode=require&application_name=etl' } });
    fireEvent.click(screen.getByText('Fields'));
    expect((field(/^Host/) as HTMLInputElement).value).toBe('db.example');
    expect((field(/^Port/) as HTMLInputElement).value).toBe('6432');
    expect((field(/^Database/) as HTMLInputElement).value).toBe('sales');
    expect((field(/^User/) as HTMLInputElement).value).toBe('app');
    expect((field(/^Password/) as HTMLInputElement).value).toBe('s@cret');
    expect((field(/^Application name/) as HTMLInputElement).value).toBe('etl');

    fireEvent.change(field(/^Database/), { target: { value: 'sales_eu' } });
    fireEvent.click(screen.getByText('URL'));
    expect((field(/^Connection URL/) as HTMLInputElement).value).toBe('postgres://app:s%40cret@db.example:6432/sales_eu?sslmode=require&application_name=etl');

    fireEvent.click(screen.getByTestId('connection-test'));
    expect((await screen.findByTestId('connection-test-result')).getAttribute('data-ok')).toBe('true');
    fireEvent.change(field(/^Connection URL/), { target: { value: 'postgres://app@db.example:6432/other' } });
    await waitFor(() => expect(screen.queryByTestId('connection-test-result')).toBeNull());
  });

  it('renders in 简体中文', async () => {
    mockFetch(() => undefined);
    renderUi(<ConnectionForm onSaved={() => undefined} onCancel={() => undefined} />, { language: 'zh-CN' });
    fireEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(screen.getAllByText('必填').length).toBeGreaterThan(0));
    expect(screen.getByText('保存')).toBeTruthy();
  });
});

describe('connection validation', () => {
  it('mirrors the API limits', () => {
    const ok = { ...emptyConnection, name: 'a', host: 'h', database: 'd', username: 'u' };
    expect(validateConnection(ok)).toEqual({});
    expect(validateConnection({ ...ok, name: 'x'.repeat(101) }).name).toBe('validation.tooLong100');
    expect(validateConnection({ ...ok, database: 'd'.repeat(64) }).database).toBe('validation.tooLong63');
    expect(validateConnection({ ...ok, connect_timeout_s: 601 }).connect_timeout_s).toBe('validation.timeout600');
    expect(validateConnection({ ...ok, inputMode: 'url', url: 'postgresql://u@h/d' })).toEqual({});
  });

  it('omits an empty password so the stored one is kept', () => {
    const input = toConnectionInput({ ...emptyConnection, name: 'a', host: 'h', database: 'd', username: 'u' });
    expect(input).not.toHaveProperty('password');
    expect(input).toMatchObject({ user: 'u', connect_timeout: null });
  });
});
