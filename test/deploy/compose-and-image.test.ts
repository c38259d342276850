import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { configSchema } from '../../src/config/config-schema.js';
import { cliAccepts } from './cli-accepts.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type Service = {
  command?: string[];
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  container_name?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  profiles?: string[];
};

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

function composeCli(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(candidate[0]!, [...candidate.slice(1), 'version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('has postgres, minio with bucket creation, a migration, the api and a scalable worker', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'minio', 'minio-init', 'migrate', 'api', 'worker']));
    expect(services['minio-init']!.command!.join(' ')).toMatch(/mc mb --ignore-existing/);
  });

  it('runs real pgferry commands', () => {
    for (const name of ['migrate', 'api', 'worker']) {
      expect(cliAccepts(services[name]!.command!), `${name}: pgferry ${services[name]!.command!.join(' ')}`).toBe(true);
    }
    expect(services.api!.command).toEqual(['serve', '--no-worker']);
    expect(services.migrate!.command).toEqual(['db', 'upgrade']);
    expect(services.worker!.command).toEqual(['worker']);
  });

  it('never migrates from the api or workers, and starts them after the migration', () => {
    for (const name of ['api', 'worker']) {
      const service = services[name]!;
      expect(service.environment!.PGFERRY_SCHEMA_MODE).toBe('migrations');
      expect(service.depends_on!.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(service.depends_on!.postgres).toEqual({ condition: 'service_healthy' });
    }
    expect(services.migrate!.depends_on!.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('lets the worker scale (no fixed name, no published port) and health-checks the rest', () => {
    expect(services.worker!.container_name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
    for (const name of ['postgres', 'minio', 'api']) expect(services[name]!.healthcheck?.test.length, name).toBeGreaterThan(0);
    expect(services.api!.healthcheck!.test.join(' ')).toContain('/ready');
    for (const volume of ['pgdata', 'minio', 'backups']) expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it('takes every secret from .env, with a message when unset, and .env.example documents every variable', () => {
    const env = services.api!.environment!;
    expect(env.DATABASE_URL).toMatch(/\$\{POSTGRES_PASSWORD:\?[^}]+\}/);
    expect(env.PGFERRY_ENCRYPTION_KEY).toMatch(/^\$\{PGFERRY_ENCRYPTION_KEY:\?[^}]+\}$/);
    const used = new Set([...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1]!));
    const example = read('.env.example');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z_][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
    for (const variable of used) expect(documented, `.env.example documents ${variable}`).toContain(variable);
    // .env.example holds no secret values.
    for (const secret of ['POSTGRES_PASSWORD', 'PGFERRY_ENCRYPTION_KEY', 'MINIO_ROOT_PASSWORD']) {
      expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
    }
    const known = Object.keys(configSchema.shape);
    for (const variable of Object.keys(env)) expect(known, `${variable} is read by pgferry`).toContain(variable);
  });

  const cli = composeCli();
  it.skipIf(cli === undefined)('passes `docker compose config` (skipped: no docker compose client here)', () => {
    const output = execFileSync(cli![0]!, [...cli!.slice(1), '-f', 'docker-compose.yml', 'config', '--quiet'], {
      cwd: root,
      env: {
        ...process.env,
        POSTGRES_PASSWORD: 'x',
        PGFERRY_ENCRYPTION_KEY: '0'.repeat(64),
        MINIO_ROOT_USER: 'u',
        MINIO_ROOT_PASSWORD: 'p',
      },
      encoding: 'utf8',
    });
    expect(output).toBe('');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('is multi-stage and its final stage runs as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    const users = [...final.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('ships the PostgreSQL client tools, production dependencies only, and runs bin/pgferry.js', () => {
    const final = stages.at(-1)!;
    expect(final).toMatch(/postgresql-client/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(final).toMatch(/ENTRYPOINT \[.*"node", "\/app\/bin\/pgferry\.js"\]/);
    expect(final).toMatch(/CMD \["serve"\]/);
    // tsx runs the sources: it must be a runtime dependency, not a dev one.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('.dockerignore keeps secrets, local state and node_modules out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['.env', 'node_modules', '.pgferry', '.git']) expect(ignored).toContain(entry);
  });
});
