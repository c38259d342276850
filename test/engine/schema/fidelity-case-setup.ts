import pg from 'pg';

import { createTestDatabase } from '../../helpers/test-database.js';
import { type FidelityCase, needsQuery } from './fidelity-cases.js';

/**
 * A throw-away source database holding one fidelity case, or the reason this server cannot
 * hold it (an older major, no ICU, no superuser, a missing extension).
 */
export async function sourceForCase(fidelityCase: FidelityCase): Promise<{ url: string } | { skip: string }> {
  const source = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_src' });
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    if (fidelityCase.minServerVersion !== undefined && version < fidelityCase.minServerVersion) return { skip: `needs server ${fidelityCase.minServerVersion}` };
    for (const need of fidelityCase.needs?.split(',') ?? []) {
      if (!(await client.query<{ ok: boolean }>(needsQuery(need.trim()))).rows[0]?.ok) return { skip: `needs ${need}` };
    }
    await client.query('SET search_path = public');
    await client.query(fidelityCase.sql);
    return { url: source.url };
  } finally {
    await client.end();
  }
}
