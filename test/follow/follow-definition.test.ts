import { describe, expect, it } from 'vitest';

import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { progressProbe, sql, useLogicalCluster, waitFor } from './follow-helpers.js';

// A follow's tables, filters and rules are fixed at its first start: a resume with another
// table list would leave the added table never copied, a new masking rule would leave the rows
// copied before it unmasked. Such a resume is refused, naming what changed.

const cluster = useLogicalCluster();

/** Follows until streaming, then stops cleanly. */
async function startAndStop(options: FollowOptions): Promise<void> {
  const controller = new AbortController();
  const probe = progressProbe();
  let failure: unknown;
  const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress }).catch((error: unknown) => (failure = error));
  await waitFor('the stream to start', () => {
    if (failure) throw failure;
    return probe.phases.has('streaming') ? true : undefined;
  });
  controller.abort();
  await running;
  if (failure) throw failure;
}

describe('follow: what it started with', () => {
  it('refuses to resume with another table list or other rules, naming the change, and resumes with the same', async () => {
    const sourceUrl = await cluster().createDatabase('definition');
    const destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_definition' })).url;
    await sql(sourceUrl, `CREATE TABLE public.a (id int PRIMARY KEY, email text); CREATE TABLE public.b (id int PRIMARY KEY); INSERT INTO public.a VALUES (1, 'x@corp.example'); INSERT INTO public.b VALUES (1);`);
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'definition', tables: ['public.a'], batchWaitMs: 100 };
    await startAndStop(options);

    const refused = async (changed: FollowOptions) =>
      follow(changed).then(
        () => undefined,
        (error: unknown) => error as { code: string; message: string },
      );
    const wider = await refused({ ...options, tables: ['public.a', 'public.b'] });
    expect(wider?.code).toBe('PGF_FOLLOW_DEFINITION_CHANGED');
    expect(wider?.message).toContain('tables ["public.a"] → ["public.a","public.b"]');
    expect(wider?.message).toContain('drop the follow and start a new one');
    const masked = await refused({ ...options, rules: [{ match: 'email', strategy: 'unique_email' }] });
    expect(masked?.code).toBe('PGF_FOLLOW_DEFINITION_CHANGED');
    expect(masked?.message).toContain('column rules [] →');
    // Nothing was copied or created for the refused table.
    expect(await sql(destinationUrl, `SELECT to_regclass('public.b') IS NULL AS missing`)).toEqual([{ missing: true }]);

    // The same settings resume, and stream.
    await sql(sourceUrl, `INSERT INTO public.a VALUES (2, 'y@corp.example')`);
    const controller = new AbortController();
    let failure: unknown;
    const running = follow(options, { signal: controller.signal }).catch((error: unknown) => (failure = error));
    await waitFor('the row to arrive', async () => {
      if (failure) throw failure;
      return (await sql<{ n: number }>(destinationUrl, 'SELECT count(*)::int AS n FROM public.a'))[0]!.n === 2 ? true : undefined;
    });
    controller.abort();
    await running;
  });
});
