import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { qualified } from '../sql/quote-ident.js';

/**
 * Drops a follow's slot and publication on the source when they exist. A slot still held by
 * a walsender (a follower running, or one whose connection is closing) is waited for briefly,
 * then refused with PGF_FOLLOW_SLOT_ACTIVE.
 */
export async function dropSlotAndPublication(source: pg.Client, slot: string, publication: string): Promise<{ slotDropped: boolean; publicationDropped: boolean }> {
  let slotDropped = false;
  for (let attempt = 0; ; attempt++) {
    const found = await source.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    const row = found.rows[0];
    if (!row) break;
    if (!row.active) {
      await source.query('SELECT pg_drop_replication_slot($1)', [slot]);
      slotDropped = true;
      break;
    }
    // A walsender that was just closed releases its slot within moments.
    if (attempt >= 20) throw new PgferryError('PGF_FOLLOW_SLOT_ACTIVE', `replication slot ${slot} is in use by a running follower; stop the follower first, then drop the follow`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const exists = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (exists.rowCount === 0) return { slotDropped, publicationDropped: false };
  await source.query('BEGIN READ WRITE');
  try {
    await source.query(`DROP PUBLICATION IF EXISTS ${qualified(publication)}`);
    await source.query('COMMIT');
  } catch (error) {
    await source.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { slotDropped, publicationDropped: true };
}
