import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import type { ArchiveStorage } from '../../src/engine/storage/archive-storage.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { formatLsn, parseLsn, parseSegmentName, segmentName, segmentNumber } from '../../src/engine/wal/lsn.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { verifyWalChain } from '../../src/engine/wal/wal-chain.js';
import { metaPath } from '../../src/engine/wal/wal-layout.js';
import { pollUntil } from '../helpers/backends.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { startS3Server } from '../backup/s3-server.js';
import { S3Storage } from '../../src/engine/storage/s3-storage.js';
import { startStreamProcess } from './stream-process.js';
import { freePort, removeDir, scratchDir, stopRestored, withClient } from './wal-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const segmentSize = 16 * 1024 * 1024;

/** The segment that holds the byte just before `lsn` (what pg_switch_wal returned). */
const segmentBefore = (lsn: string) => segmentName(1, segmentNumber(parseLsn(lsn) - 1n, segmentSize), segmentSize);

async function awaitStored(storage: ArchiveStorage, systemId: string, file: string): Promise<void> {
  const files = await pollUntil(
    () => listWalFiles(storage, systemId),
    (list) => list.some((item) => item.file === file),
  );
  expect(files.map((item) => item.file)).toContain(file);
}

/** Rows of the last statement of `text`. */
const sql = (cluster: TestCluster, text: string) =>
  withClient(cluster.url(), async (client) => {
    const result = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
    return (Array.isArray(result) ? result.at(-1)! : result).rows as Record<string, string>[];
  });

interface Place {
  /** What the CLI takes as --to / --storage / --wal-storage. */
  text: string;
  storage: ArchiveStorage;
  env: Record<string, string>;
}

/**
 * The whole path through real entry points: `wal stream` (killed with SIGKILL mid-segment,
 * then restarted), `backup --format physical --wal archive`, `backups timeline`, and
 * `restore --to-dir --target-time --start`.
 */
async function streamKillRestore(place: Place, home: string) {
  const cluster = await startCluster({ major: 17 });
  cleanups.push(() => cluster.stop());
  const env = { PGFERRY_ENCRYPTION_KEY: 'b'.repeat(64), PGFERRY_HOME: path.join(home, 'cli-home'), ...place.env };
  const spool = path.join(home, 'spool');
  const streamArgs = ['--from', cluster.url(), '--to', place.text, '--spool-dir', spool, '--slot', 'pgferry_wal_cli'];
  const systemId = (await sql(cluster, 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0]!.id!;

  const first = startStreamProcess(streamArgs, env);
  cleanups.push(() => void first.child.kill('SIGKILL'));
  await first.waitFor((line) => line.type === 'stream:start');

  await sql(cluster, 'CREATE TABLE kept (id int primary key); CREATE TABLE dropped_later (x int); INSERT INTO dropped_later VALUES (7)');
  const made = await runCli(['backup', '--from', cluster.url(), '--to', place.text, '--format', 'physical', '--wal', 'archive', '--name', 'base', '--json'], env);
  expect(made.code, made.stderr).toBe(0);
  expect(cliJson(made).archives[0].physical).toMatchObject({ wal: 'archive' });

  // Several complete segments, then a crash in the middle of the next one.
  for (let round = 0; round < 3; round += 1) {
    const switched = (await sql(cluster, `INSERT INTO kept SELECT g FROM generate_series(${round * 30 + 1}, ${round * 30 + 30}) g; SELECT pg_switch_wal()::text AS lsn`))[0]!.lsn!;
    await awaitStored(place.storage, systemId, segmentBefore(switched));
  }
  await sql(cluster, 'INSERT INTO kept SELECT generate_series(91, 100)');
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const spooled = await readdir(path.join(spool, systemId));
  expect(spooled.some((name) => name.endsWith('.partial'))).toBe(true);
  // Where the restart must resume: after the last segment stored or completed in the spool before the crash.
  const before = [...(await listWalFiles(place.storage, systemId)).map((item) => item.file), ...spooled.filter((name) => /^[0-9A-F]{24}$/.test(name))].sort();
  const expectedRestart = formatLsn((parseSegmentName(before.at(-1)!, segmentSize).segment + 1n) * BigInt(segmentSize));

  const second = startStreamProcess(streamArgs, env);
  cleanups.push(() => void second.child.kill('SIGKILL'));
  const restarted = await second.waitFor((line) => line.type === 'stream:start');
  const noted = (await sql(cluster, 'SELECT clock_timestamp()::text AS t'))[0]!.t!;
  await sql(cluster, 'INSERT INTO kept SELECT generate_series(101, 300)');
  await sql(cluster, 'DROP TABLE dropped_later');
  const last = (await sql(cluster, 'SELECT pg_switch_wal()::text AS lsn'))[0]!.lsn!;
  await awaitStored(place.storage, systemId, segmentBefore(last));
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(second.lines.at(-1)).toMatchObject({ type: 'result', systemId });

  // No gap and no segment stored twice: the restart resumed at the segment after the last stored one.
  const files = (await listWalFiles(place.storage, systemId)).map((item) => item.file);
  expect(new Set(files).size).toBe(files.length);
  expect(restarted.start).toBe(expectedRestart);
  const chain = await verifyWalChain(place.storage, systemId, formatLsn(parseSegmentName(files[0]!, segmentSize).segment * BigInt(segmentSize)));
  expect(chain.firstMissing).toBeUndefined();
  // The run reaches at least the segment that held the last switch.
  expect(parseSegmentName(chain.next, segmentSize).segment).toBeGreaterThan(segmentNumber(parseLsn(last) - 1n, segmentSize));

  const timeline = await runCli(['backups', 'timeline', '--storage', place.text, '--system-id', systemId, '--json'], env);
  expect(timeline.code, timeline.stderr).toBe(0);
  const windows = cliJson(timeline).windows as Record<string, unknown>[];
  expect(windows).toEqual([expect.objectContaining({ backup: 'base', unrestorable: false })]);
  expect(windows[0]!.firstMissing).toBeUndefined();

  const restoredDir = path.join(home, 'restored');
  const port = await freePort();
  cleanups.push(() => stopRestored(restoredDir, cluster.binaries.pg_ctl));
  const archive = place.storage.kind === 'local' ? path.join(place.text, 'base') : `${place.text}/base`;
  // The restored cluster is a PostgreSQL 17: the embedded build's binaries are found without being named.
  const restored = await runCli(['restore', archive, '--to-dir', restoredDir, '--target-time', noted, '--wal-storage', place.text, '--start', '--port', String(port), '--json'], env);
  expect(restored.code, restored.stderr).toBe(0);
  expect(cliJson(restored).recovery.started).toMatchObject({ state: 'promoted', stoppedAt: expect.stringMatching(/recovery stopping before commit/) });
  const url = `postgres://postgres:${encodeURIComponent(cluster.password)}@127.0.0.1:${port}/postgres`;
  const seen = await withClient(url, async (client) => ({
    kept: (await client.query('SELECT count(*)::int AS n, max(id) AS max FROM kept')).rows[0],
    dropped: (await client.query('SELECT x FROM dropped_later')).rows,
  }));
  expect(seen).toEqual({ kept: { n: 100, max: 100 }, dropped: [{ x: 7 }] });
  stopRestored(restoredDir, cluster.binaries.pg_ctl);

  return { cluster, env, systemId, files, noted, restoredDir };
}

describe('wal stream, backup, timeline and restore through the CLI', () => {
  it('local storage: a SIGKILLed streamer restarts with no gap and no duplicate; restore to the noted time; a deleted segment is named by timeline, verifyWalChain and restore', async () => {
    const home = await scratchDir('pgferry-wal-cli-');
    cleanups.push(() => removeDir(home));
    const text = path.join(home, 'storage');
    const storage = new LocalStorage(text);
    const { env, systemId, files, noted } = await streamKillRestore({ text, storage, env: {} }, home);

    // verify of the --wal archive backup checks the WAL from its start on, in the place --wal-storage names.
    const verified = await runCli(['verify', path.join(text, 'base'), '--wal-storage', text, '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    const walReport = cliJson(verified).wal as Record<string, unknown>;
    expect(walReport).toMatchObject({ ok: true, first_missing: null });
    expect(walReport.segments as number).toBeGreaterThan(1);

    // Remove a segment after the backup: the window ends there, and restoring past it fails naming it.
    const hole = files.filter((file) => /^[0-9A-F]{24}$/.test(file)).at(-2)!;
    await rm(path.join(text, metaPath(systemId, 1, hole)));
    // A hole after the backup cuts its restorable window: verify fails naming it.
    const pastHole = await runCli(['verify', path.join(text, 'base'), '--wal-storage', text], env);
    expect(pastHole.code, pastHole.stderr).toBe(4);
    expect(pastHole.stdout).toContain(`WAL segment ${hole} is missing`);
    const chain = await verifyWalChain(storage, systemId, '0/1000000');
    expect(chain.firstMissing).toBe(hole);
    const timeline = await runCli(['backups', 'timeline', '--storage', text, '--system-id', systemId], env);
    expect(timeline.code).toBe(4);
    expect(timeline.stdout).toContain(`first missing segment ${hole}`);

    const again = path.join(home, 'restored-past-hole');
    cleanups.push(() => removeDir(again));
    const failed = await runCli(['restore', path.join(text, 'base'), '--to-dir', again, '--target-time', noted, '--wal-storage', text, '--start', '--port', String(await freePort())], env);
    expect(failed.code).toBe(17);
    expect(failed.stderr).toContain(hole);

    // A segment the backup itself needs (the one holding its start) gone: verify fails naming it.
    const manifest = JSON.parse(await readFile(path.join(text, 'base', 'manifest.json'), 'utf8')) as { physical: { start_lsn: string } };
    const needed = segmentName(1, segmentNumber(parseLsn(manifest.physical.start_lsn), segmentSize), segmentSize);
    await rm(path.join(text, metaPath(systemId, 1, needed)));
    const broken = await runCli(['verify', path.join(text, 'base'), '--wal-storage', text], env);
    expect(broken.code).toBe(4);
    expect(broken.stdout).toContain(`WAL segment ${needed} is missing`);
    expect(broken.stderr).toContain(needed);
  }, 600_000);
});

describe('the same through S3', () => {
  it('s3:// storage: stream with a SIGKILL and restart, physical backup, timeline, restore to the noted time', async () => {
    const s3 = await startS3Server();
    cleanups.push(() => s3.close());
    const home = await scratchDir('pgferry-wal-s3-');
    cleanups.push(() => removeDir(home));
    const storage = new S3Storage({ kind: 's3', bucket: 'pgferry-wal', prefix: 'archive', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    cleanups.push(() => storage.close());
    await storage.init();
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: s3.endpoint, PGFERRY_S3_FORCE_PATH_STYLE: '1' };
    await streamKillRestore({ text: 's3://pgferry-wal/archive', storage, env }, home);
  }, 600_000);
});
