import type { Queryable } from '../catalog/catalog-types.js';
import { type SessionRole, sessionSettings } from '../sql/session-settings.js';

/**
 * Session settings for checksum sessions: the engine's data-session settings (ISO dates,
 * postgres intervals, UTC, shortest-exact floats, hex bytea, UTF8, `search_path = ''`) so
 * every value's text is the same on both servers, plus two that only matter here:
 * `lc_monetary = C` pins the text of `money`, and `row_security = off` on BOTH sides makes
 * a policy that hides rows fail loudly instead of silently comparing only visible rows.
 */
export function checksumSettings(role: SessionRole): Record<string, string> {
  return { ...sessionSettings(role), lc_monetary: 'C', row_security: 'off' };
}

/** One round trip: `set_config` takes the values as parameters, never spliced into SQL. */
export async function applyChecksumSettings(client: Queryable, role: SessionRole): Promise<void> {
  const settings = Object.entries(checksumSettings(role));
  await client.query('SELECT set_config(s.name, s.value, false) FROM unnest($1::text[], $2::text[]) AS s(name, value)', [
    settings.map(([name]) => name),
    settings.map(([, value]) => value),
  ]);
}
