import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { inject } from 'vitest';

import { trackResource } from '../helpers/leak-check.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const chromiumPath = process.env.PGFERRY_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const cli = path.join(repoRoot, 'bin/pgferry.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs `pgferry …` with `input` on stdin; resolves with its output, rejects on a non-zero exit. */
export function pgferry(args: string[], env: Record<string, string>, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`pgferry ${args.join(' ')} exited ${code}: ${output}`))));
    child.stdin.end(input);
  });
}

function viteBuild(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited ${code}`))));
  });
}

/**
 * Builds web/dist from the current sources (a stale bundle would test old code) once per test
 * run. Browser test files run side by side, and a second build empties web/dist under the
 * server of a file already testing (its page then never renders), so the first file to get
 * here builds and the others wait for its marker.
 */
export async function buildWeb(): Promise<void> {
  const marker = path.join(repoRoot, 'node_modules/.cache/pgferry-web-build', inject('testRunId'));
  mkdirSync(path.dirname(marker), { recursive: true });
  try {
    mkdirSync(marker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    for (;;) {
      if (existsSync(path.join(marker, 'done'))) return;
      if (existsSync(path.join(marker, 'failed'))) throw new Error(`the web build started by another test file failed: ${readFileSync(path.join(marker, 'failed'), 'utf8')}`);
      await sleep(500);
    }
  }
  try {
    await viteBuild();
    writeFileSync(path.join(marker, 'done'), '');
  } catch (error) {
    writeFileSync(path.join(marker, 'failed'), String(error));
    throw error;
  }
}

export interface ServeHandle {
  url: string;
  env: Record<string, string>;
  log: () => string;
  stop(): Promise<void>;
}

/** A real `pgferry serve` on a free port over the given store database (`settings` add to its environment). */
export async function startServe(databaseUrl: string, settings: Record<string, string> = {}): Promise<ServeHandle> {
  const port = await freePort();
  const env = { DATABASE_URL: databaseUrl, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), PGFERRY_COOKIE_SECURE: 'false', ...settings };
  await pgferry(['db', 'upgrade'], env);
  const child: ChildProcess = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const release = trackResource(`pgferry serve on port ${port}`, stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgferry serve exited early:\n${log}`);
    try {
      const response = await fetch(`${url}/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pgferry serve did not become ready within 60 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    env,
    log: () => log,
    stop: async () => {
      release();
      await stop();
    },
  };
}

/** Which API routes the running server has (from its OpenAPI document). */
export async function apiPaths(url: string): Promise<Set<string>> {
  const response = await fetch(`${url}/api/v1/openapi.json`);
  const doc = (await response.json()) as { paths?: Record<string, unknown> };
  return new Set(Object.keys(doc.paths ?? {}));
}
