import { PgferryError } from '../../errors/pgferry-error.js';
import { openSession } from '../sql/session-settings.js';
import type { FollowOptions } from './follow-api.js';
import { followNames } from './follow-names.js';
import { deletePosition } from './position-store.js';
import { dropSlotAndPublication } from './source-objects.js';

/**
 * Removes a follow: its slot (so the source stops retaining WAL for it) and publication on
 * the source, its position on the destination (a later start copies anew). Refused with
 * PGF_FOLLOW_SLOT_ACTIVE while a follower holds the slot. Says what it found and dropped.
 */
export async function dropFollow(options: Pick<FollowOptions, 'source' | 'destination' | 'followId'>): Promise<{ slotDropped: boolean; publicationDropped: boolean; positionDropped: boolean }> {
  const names = followNames(options.followId);
  const source = await openSession(options.source, 'source', 'pgferry follow drop');
  let dropped: { slotDropped: boolean; publicationDropped: boolean };
  try {
    dropped = await dropSlotAndPublication(source, names.slotName, names.publicationName);
  } finally {
    await source.end().catch(() => undefined);
  }
  const destination = await openSession(options.destination, 'destination', 'pgferry follow drop');
  try {
    const positionDropped = await deletePosition(destination, options.followId);
    if (!dropped.slotDropped && !dropped.publicationDropped && !positionDropped) {
      throw new PgferryError('PGF_FOLLOW_NOT_FOUND', `follow "${options.followId}" has no slot (${names.slotName}) or publication on the source and no position on the destination; nothing to drop`);
    }
    return { ...dropped, positionDropped };
  } finally {
    await destination.end().catch(() => undefined);
  }
}
