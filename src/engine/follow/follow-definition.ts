import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { SyncOptions } from '../types.js';

/**
 * What a follow copies and streams — its tables, filters and column rules — is fixed at its
 * first start: the initial copy and the publication cover exactly that. Resuming with another
 * selection would leave an added table never copied (nothing says so) and a new masking rule
 * would leave the rows copied before it unmasked. So the first start keeps the definition
 * beside the position in the destination, and a resume with a different one is refused.
 */
export type FollowDefinition = Record<'schemas' | 'tables' | 'exclude' | 'where' | 'tableOptions' | 'rules', unknown>;

const sorted = (list: readonly string[] | undefined) => [...(list ?? [])].sort();

/** The parts of the options that decide what is followed (the rule key, a secret, is left out). */
export function followDefinition(sync: SyncOptions): FollowDefinition {
  return {
    schemas: sorted(sync.schemas),
    tables: sorted(sync.tables),
    exclude: sorted(sync.exclude),
    where: sync.where ?? null,
    tableOptions: sync.tableOptions ?? [],
    rules: sync.rules ?? [],
  };
}

const labels: Record<keyof FollowDefinition, string> = {
  schemas: 'schemas',
  tables: 'tables',
  exclude: 'excluded tables',
  where: 'filter',
  tableOptions: 'per-table options (filters, keys, rules)',
  rules: 'column rules',
};

async function hasDefinitionColumn(destination: pg.Client): Promise<boolean> {
  const { rows } = await destination.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pgferry.follow_position') AND attname = 'definition' AND NOT attisdropped) AS found`,
  );
  return rows[0]!.found;
}

/** Keeps the definition with the position row written by the first start. */
export async function storeDefinition(destination: pg.Client, followId: string, definition: FollowDefinition): Promise<void> {
  await destination.query('ALTER TABLE pgferry.follow_position ADD COLUMN IF NOT EXISTS definition jsonb');
  await destination.query('UPDATE pgferry.follow_position SET definition = $2::jsonb WHERE follow_id = $1', [followId, JSON.stringify(definition)]);
}

/** Refuses a resume whose definition differs from the first start's (follows started before definitions were kept are not checked). */
export async function checkDefinition(destination: pg.Client, followId: string, definition: FollowDefinition): Promise<void> {
  if (!(await hasDefinitionColumn(destination))) return;
  const { rows } = await destination.query<{ definition: FollowDefinition | null }>('SELECT definition FROM pgferry.follow_position WHERE follow_id = $1', [followId]);
  const stored = rows[0]?.definition;
  if (!stored) return;
  const changed = (Object.keys(labels) as (keyof FollowDefinition)[]).filter((part) => JSON.stringify(stored[part] ?? null) !== JSON.stringify(definition[part] ?? null));
  if (changed.length === 0) return;
  const described = changed.map((part) => `${labels[part]} ${JSON.stringify(stored[part] ?? null)} → ${JSON.stringify(definition[part] ?? null)}`);
  throw new PgferryError(
    'PGF_FOLLOW_DEFINITION_CHANGED',
    `follow "${followId}" was started with other settings: ${described.join('; ')}. Its initial copy and publication cover only what it started with, so it does not resume with these. Go back to the original settings, or drop the follow and start a new one (it copies anew)`,
    { details: { changed } },
  );
}
