import { PgferryError } from '../errors/pgferry-error.js';
import { isUuid } from './uuid.js';

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** `base64url("<ISO instant>|<uuid>")`: the page cursor of the runs and backups lists. */
export const encodeKeysetCursor = (at: string, id: string): string => Buffer.from(`${at}|${id}`).toString('base64url');

/**
 * Decodes a cursor this API returned, checked to the letter before it reaches SQL (a
 * crafted one must be a 400, never a failed cast and a 500).
 */
export function decodeKeysetCursor(cursor: string): { at: string; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !at || !id || !isoInstant.test(at) || Number.isNaN(Date.parse(at)) || !isUuid(id)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'cursor is not one this API returned; start again without it', {
      details: { fields: [{ field: 'querystring.cursor', message: 'invalid cursor' }] },
    });
  }
  return { at, id };
}
