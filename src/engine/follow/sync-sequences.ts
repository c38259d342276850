import type pg from 'pg';

import { displayName, qualified } from '../sql/quote-ident.js';
import type { SequencePlan } from '../sync/sync-plan-types.js';

/**
 * Logical replication does not carry sequences: the follower sets the destination's from the
 * source's state (last_value and is_called, as the copy does) now and then while streaming,
 * and cut-over does once more after the last change is applied. Returns what was set; a
 * sequence that cannot be read or set is a warning, not a stop.
 */
export async function syncSequences(
  source: pg.Client,
  destination: pg.Client,
  sequences: readonly SequencePlan[],
): Promise<{ set: { sequence: string; value: string }[]; warnings: string[] }> {
  const set: { sequence: string; value: string }[] = [];
  const warnings: string[] = [];
  for (const sequence of sequences) {
    try {
      const state = await source.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text AS last_value, is_called FROM ${qualified(sequence.name)}`);
      const row = state.rows[0];
      if (!row) continue;
      await destination.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [qualified(sequence.name), row.last_value, row.is_called]);
      set.push({ sequence: displayName(sequence.name), value: row.last_value });
    } catch (error) {
      warnings.push(`sequence ${displayName(sequence.name)} was not set: ${(error as Error).message}`);
    }
  }
  return { set, warnings };
}
