import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveStorage, type ProbeResult, type StoredObject, assertRemovablePrefix, joinPath } from './archive-storage.js';
import { formatBytes } from '../format-bytes.js';
import { FlushWhileWriting, syncDirectory, syncFile } from './durable-fs.js';

export class LocalStorage implements ArchiveStorage {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  #abs(relative: string): string {
    const target = path.resolve(this.root, joinPath(relative));
    if (target !== this.root && !target.startsWith(this.root + path.sep)) {
      throw new PgferryError('PGF_VALIDATION_FAILED', `path ${relative} leaves the storage directory ${this.root}`);
    }
    return target;
  }

  describe(relative = ''): string {
    return relative ? path.join(this.root, relative) : this.root;
  }

  async write(relative: string, body: Readable, signal?: AbortSignal): Promise<void> {
    const target = this.#abs(relative);
    await mkdir(path.dirname(target), { recursive: true });
    const file = await open(target, 'w');
    await pipeline(body, new FlushWhileWriting(file.fd), file.createWriteStream(), ...(signal ? [{ signal }] : []));
    // Stored means on disk: a WAL segment reported stored lets the server recycle its copy.
    await syncFile(target);
    await syncDirectory(path.dirname(target));
  }

  async read(relative: string): Promise<Readable> {
    const target = this.#abs(relative);
    try {
      await stat(target);
    } catch {
      throw new PgferryError('PGF_NOT_FOUND', `${target} does not exist`);
    }
    return createReadStream(target, { highWaterMark: 256 * 1024 });
  }

  localFile(relative: string): string {
    return this.#abs(relative);
  }

  async exists(relative: string): Promise<boolean> {
    return stat(this.#abs(relative)).then(
      () => true,
      () => false,
    );
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = this.#abs(prefix);
    const found: StoredObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) {
          const info = await stat(full);
          found.push({ path: path.relative(this.root, full).split(path.sep).join('/'), size: info.size, modifiedAt: info.mtime });
        }
      }
    };
    await walk(base);
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  async remove(prefix: string): Promise<number> {
    assertRemovablePrefix(prefix);
    const objects = await this.list(prefix);
    const target = this.#abs(prefix);
    if (target === this.root) {
      for (const object of objects) await unlink(this.#abs(object.path));
    } else {
      await rm(target, { recursive: true, force: true });
    }
    return objects.length;
  }

  async presign(): Promise<undefined> {
    return undefined;
  }

  async init(): Promise<{ created: boolean }> {
    return { created: await createDirectoryLevels(this.root) };
  }

  async probe(): Promise<ProbeResult> {
    const started = Date.now();
    const base = { kind: 'local' as const, target: this.root, wrote: false };
    try {
      const info = await stat(this.root).catch(() => undefined);
      if (!info?.isDirectory()) {
        const message = info ? `${this.root} is not a directory` : `${this.root} does not exist; create it (the storage page's "Create it", or \`pgferry storage init\`)`;
        return { ...base, ok: false, missing: !info, latencyMs: Date.now() - started, message };
      }
      const probe = path.join(this.root, `.pgferry-probe-${randomBytes(6).toString('hex')}`);
      const payload = randomBytes(64).toString('hex');
      await writeFile(probe, payload);
      const back = await readFile(probe, 'utf8');
      await unlink(probe);
      if (back !== payload) throw new Error('the probe file read back different bytes');
      const fs = await statfs(this.root);
      const freeBytes = Number(fs.bavail) * Number(fs.bsize);
      return { ...base, ok: true, wrote: true, freeBytes, latencyMs: Date.now() - started, message: `wrote, read and deleted a probe file; ${formatBytes(freeBytes)} free` };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ...base, ok: false, latencyMs: Date.now() - started, message: `cannot write to ${this.root}: ${reason}` };
    }
  }

  async close(): Promise<void> {}
}

/**
 * Creates `root` one level at a time, each new level 0700 (archives hold whole databases).
 * Not `mkdir({ recursive: true })`: under a virtual file system such as /proc it never
 * returns. Returns whether anything was created.
 */
export async function createDirectoryLevels(root: string): Promise<boolean> {
  const missing: string[] = [];
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      if (!info.isDirectory()) throw new PgferryError('PGF_STORAGE_PATH_UNUSABLE', `${dir} is a file, not a directory; pick another path for the storage`);
      break;
    }
    missing.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new PgferryError('PGF_STORAGE_PATH_UNUSABLE', `cannot create ${dir} (${code ?? 'error'}); pick another path for the storage or create it as an administrator`, { cause: error });
    }
  }
  return missing.length > 0;
}

