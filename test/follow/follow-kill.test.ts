import { type ChildProcess, spawn } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { sql, startWorkload, waitFor } from './follow-helpers.js';

let cluster: TestCluster;
let sourceUrl: string;
let destinationUrl: string;
const followId = 'kill-test';

beforeAll(async () => {
  cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
  sourceUrl = await cluster.createDatabase('inventory');
  destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_kill' })).url;
  await sql(
    sourceUrl,
    `CREATE TABLE public.items (id int PRIMARY KEY, qty int NOT NULL, note text);
     CREATE TABLE public.bag (v int, w text);
     ALTER TABLE public.bag REPLICA IDENTITY FULL;
     INSERT INTO public.items SELECT g, g, 'n' || g FROM generate_series(1, 2000) g;
     INSERT INTO public.bag SELECT g % 50, 'dup' FROM generate_series(1, 500) g;`,
  );
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

interface Follower {
  child: ChildProcess;
  /** Highest changesApplied seen in its JSON progress, and whether it streams. */
  state: { streaming: boolean; changes: number; stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function startFollower(): Follower {
  const child = spawn(process.execPath, [cliPath, 'sync', '--from', sourceUrl, '--to', destinationUrl, '--follow', '--follow-id', followId, '--batch-wait', '100ms', '--batch-changes', '200', '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { streaming: false, changes: 0, stdout: '', stderr: '' };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    state.stdout += chunk.toString();
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; progress?: { phase: string; changesApplied: number } };
      if (event.type === 'progress' && event.progress!.phase === 'streaming') {
        state.streaming = true;
        state.changes = Math.max(state.changes, event.progress!.changesApplied);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (state.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, state, exited };
}

async function streamedSome(follower: Follower, changes: number): Promise<void> {
  await waitFor(`the follower to stream ${changes} changes (stderr: ${follower.state.stderr.slice(-500)})`, () => {
    if (follower.child.exitCode !== null) throw new Error(`the follower exited with ${follower.child.exitCode}: ${follower.state.stderr}`);
    return follower.state.streaming && follower.state.changes >= changes ? true : undefined;
  }, 90_000);
}

describe('follow: kill -9 of the follower, restart', () => {
  it('resumes from the destination position without loss or repeat, including a FULL-identity table with duplicate rows', async () => {
    const workload = startWorkload(sourceUrl, async (client, i) => {
      const id = 1 + ((i * 37) % 2000);
      await client.query('BEGIN');
      await client.query('UPDATE public.items SET qty = qty + 1, note = $2 WHERE id = $1', [id, `u${i}`]);
      await client.query('INSERT INTO public.items VALUES ($1, $1, NULL) ON CONFLICT (id) DO NOTHING', [100_000 + i]);
      if (i % 4 === 0) await client.query('DELETE FROM public.items WHERE id = $1', [100_000 + i - 3]);
      // Duplicate rows: change or remove one of several identical ones.
      await client.query('UPDATE public.bag SET w = $2 WHERE ctid = (SELECT ctid FROM public.bag WHERE v = $1 LIMIT 1)', [i % 50, `w${i % 3}`]);
      if (i % 6 === 0) await client.query('DELETE FROM public.bag WHERE ctid = (SELECT ctid FROM public.bag WHERE v = $1 LIMIT 1)', [i % 50]);
      if (i % 5 === 0) await client.query(`INSERT INTO public.bag VALUES ($1, 'dup')`, [i % 50]);
      await client.query('COMMIT');
    });
    let follower = startFollower();
    try {
      await streamedSome(follower, 300);
      follower.child.kill('SIGKILL');
      await follower.exited;
      follower = startFollower();
      await streamedSome(follower, 200);
      follower.child.kill('SIGKILL');
      await follower.exited;
      follower = startFollower();
      await streamedSome(follower, 200);
    } finally {
      await workload.stop();
    }
    const cut = await runCli(['cutover', '--from', sourceUrl, '--to', destinationUrl, '--follow-id', followId, '--timeout', '2m', '--json']);
    // A row lost at the destination: the cut-over says do not switch, with a non-zero exit.
    await sql(destinationUrl, 'DELETE FROM public.items WHERE id = 5');
    const broken = await runCli(['cutover', '--from', sourceUrl, '--to', destinationUrl, '--follow-id', followId, '--timeout', '2m']);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toContain('DIFFERENT public.items');
    expect(broken.stdout).toContain('NOT EQUAL: do not switch traffic');
    expect(broken.stderr).toContain('do not switch traffic');
    follower.child.kill('SIGTERM');
    const code = await follower.exited;
    expect(cut.stderr).toBe('');
    const report = JSON.parse(cut.stdout) as { equal: boolean; tables: { table: string; equal: boolean; sourceRows: number; destinationRows: number }[] };
    expect([...report.tables].sort((a, b) => a.table.localeCompare(b.table))).toEqual([
      expect.objectContaining({ table: 'public.bag', equal: true }),
      expect.objectContaining({ table: 'public.items', equal: true }),
    ]);
    expect(report.equal).toBe(true);
    expect(cut.code).toBe(0);
    // The SIGTERM stopped it cleanly: exit 0 and a result line.
    expect(code).toBe(0);
    expect(follower.state.stdout).toContain('"type":"result"');
    // The restarted follower resumed streaming; it did not copy again.
    expect(follower.state.stdout).toContain('"copied":false');
    // No duplicates: the multiset of the no-key table is the source's.
    const count = `SELECT v, w, count(*)::int AS n FROM public.bag GROUP BY v, w ORDER BY v, w`;
    expect(await sql(destinationUrl, count)).toEqual(await sql(sourceUrl, count));
    // A CLI follow is dropped from the CLI: slot, publication and position gone.
    const dropped = await runCli(['replication', 'drop', '--from', sourceUrl, '--to', destinationUrl, '--follow-id', followId]);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain(`dropped follow ${followId}: slot dropped, publication dropped, position dropped`);
    expect(await sql(sourceUrl, `SELECT slot_name FROM pg_replication_slots`)).toEqual([]);
    const again = await runCli(['replication', 'drop', '--from', sourceUrl, '--to', destinationUrl, '--follow-id', followId]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('nothing to drop');
  }, 240_000);
});
