import { createHash } from 'node:crypto';

/**
 * The slot and publication of a follow, derived from its id: the same id finds them again on
 * a resume, another id never touches them. Slot names allow only [a-z0-9_] and 63 bytes, so
 * the readable part is cut and a hash of the whole id keeps names distinct.
 */
export function followNames(followId: string): { slotName: string; publicationName: string } {
  const readable = followId
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 36);
  const hash = createHash('sha256').update(followId).digest('hex').slice(0, 12);
  const name = `pgferry_${readable === '' ? '' : `${readable}_`}${hash}`;
  return { slotName: name, publicationName: name };
}
