// A webhook's custom headers are secrets: their values are sealed with the channel's other
// secrets and never shown. Since a client cannot read them back, a PATCH changes headers one by
// one (as a connection's password): a header left out keeps its value, `null` removes it.

export type HeaderValues = Record<string, string>;

/** What answers show of a channel's headers: names only. */
export interface HeaderView {
  name: string;
  value_set: true;
}

export function headerViews(headers: unknown): HeaderView[] {
  if (headers === null || typeof headers !== 'object') return [];
  return Object.keys(headers)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, value_set: true as const }));
}

/**
 * The headers after a patch: each string sets a header (replacing one of the same name in
 * any letter case, HTTP names being case-insensitive), each `null` removes one. Anything that
 * is not a plain object is returned as is, for the config schema to refuse with its message.
 */
export function mergeHeaderPatch(stored: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const merged: Record<string, unknown> = { ...(stored !== null && typeof stored === 'object' ? (stored as HeaderValues) : {}) };
  for (const [name, value] of Object.entries(patch as Record<string, unknown>)) {
    for (const existing of Object.keys(merged)) if (existing.toLowerCase() === name.toLowerCase()) delete merged[existing];
    if (value !== null) merged[name] = value;
  }
  return merged;
}
