import type { Command } from 'commander';

import { type ErrorCode, errorCodes } from '../errors/error-codes.js';
import { PgferryError } from '../errors/pgferry-error.js';

/**
 * Talking to a running pgferry over its REST API instead of opening the metadata store.
 *
 * How a command adopts it:
 *   1. `addRemoteOptions(command)` adds `--server URL` and `--token TOKEN`;
 *   2. in the action, `const remote = remoteClientFrom(command.optsWithGlobals())`;
 *      it is `undefined` unless `--server` or `PGFERRY_SERVER` is set, so the command keeps
 *      working locally (direct store access) by default;
 *   3. call `remote.get/post/patch/delete('/api/v1/...')`: errors come back as PgferryError
 *      with the server's code, so exit codes are the same in both modes.
 * Prefer `PGFERRY_TOKEN` over `--token`: command lines are visible to other local users.
 */

export interface RemoteOptions {
  server?: string | undefined;
  token?: string | undefined;
}

export interface RemoteTarget {
  server: string;
  token: string | undefined;
}

export function addRemoteOptions(command: Command): Command {
  return command
    .option('--server <url>', 'talk to a running pgferry at this URL instead of the store (env PGFERRY_SERVER)')
    .option('--token <token>', 'API token for --server (env PGFERRY_TOKEN, preferred: not visible in ps)');
}

export function resolveRemoteTarget(options: RemoteOptions, env: NodeJS.ProcessEnv = process.env): RemoteTarget | undefined {
  const server = (options.server ?? env.PGFERRY_SERVER)?.trim();
  if (!server) return undefined;
  if (!/^https?:\/\//.test(server) || !URL.canParse(server)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `--server / PGFERRY_SERVER must be an http(s) URL such as https://pgferry.example.com (got an invalid value)`);
  }
  const url = new URL(server);
  if (url.username || url.password) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'put no credentials in --server / PGFERRY_SERVER; pass the API token with PGFERRY_TOKEN');
  }
  const token = (options.token ?? env.PGFERRY_TOKEN)?.trim() || undefined;
  return { server: server.replace(/\/+$/, ''), token };
}

export function remoteClientFrom(options: RemoteOptions, env: NodeJS.ProcessEnv = process.env): RemoteClient | undefined {
  const target = resolveRemoteTarget(options, env);
  return target ? new RemoteClient(target) : undefined;
}

export interface RemoteClientOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class RemoteClient {
  readonly #target: RemoteTarget;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(target: RemoteTarget, options: RemoteClientOptions = {}) {
    this.#target = target;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  get server(): string {
    return this.#target.server;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'pgferry-cli' };
    if (this.#target.token) headers.authorization = `Bearer ${this.#target.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(`${this.#target.server}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new PgferryError('PGF_SERVER_UNREACHABLE', `cannot reach pgferry at ${this.#target.server} (${reason}); check --server / PGFERRY_SERVER and that it is running`);
    }
    const text = await response.text();
    if (!response.ok) throw this.#errorFrom(response.status, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PgferryError('PGF_SERVER_UNREACHABLE', `${this.#target.server} answered ${method} ${path} with something that is not JSON; is --server a pgferry?`);
    }
  }

  #errorFrom(status: number, text: string): PgferryError {
    let code: string | undefined;
    let message = `HTTP ${status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code;
      message = parsed.error?.message ?? message;
    } catch {
      // Not a pgferry error body (a proxy's page, say): the status says enough.
    }
    const known = code !== undefined && code in errorCodes ? (code as ErrorCode) : undefined;
    const fallback: ErrorCode = status === 401 ? 'PGF_UNAUTHENTICATED' : status === 403 ? 'PGF_FORBIDDEN' : status === 404 ? 'PGF_NOT_FOUND' : 'PGF_INTERNAL';
    const hint = status === 401 && !this.#target.token ? ' (no token given: set PGFERRY_TOKEN or pass --token)' : '';
    return new PgferryError(known ?? fallback, `${this.#target.server}: ${message}${hint}`);
  }
}
