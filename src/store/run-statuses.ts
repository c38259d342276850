/**
 * Every status a run can have, in lifecycle order; the runs.status CHECK (migration 0031),
 * the API enums, the CLI filters and the UI follow this list. `incomplete`: every table was
 * copied but some schema objects of the selection could not be reproduced on the
 * destination (runs.missing_objects says which and why); it is never a success.
 */
export const runStatuses = Object.freeze(['queued', 'running', 'succeeded', 'incomplete', 'failed', 'cancelled'] as const);
export type RunStatus = (typeof runStatuses)[number];

/** Statuses of a run that has ended. */
export const terminalRunStatuses = Object.freeze(['succeeded', 'incomplete', 'failed', 'cancelled'] as const);
export type TerminalRunStatus = (typeof terminalRunStatuses)[number];

export function isTerminalRunStatus(status: string): status is TerminalRunStatus {
  return (terminalRunStatuses as readonly string[]).includes(status);
}

/** A schema object a run did not reproduce on the destination, as runs.missing_objects stores it. */
export interface RunMissingObject {
  object: string;
  reason: string;
}

/** `2 schema object(s) not reproduced on the destination: a (why); b (why)`, naming the first `limit`. */
export function missingObjectsMessage(missing: readonly RunMissingObject[], limit = 3): string {
  const named = missing.slice(0, limit).map((m) => `${m.object} (${m.reason})`);
  const more = missing.length > limit ? `; and ${missing.length - limit} more` : '';
  return `${missing.length} schema object(s) not reproduced on the destination: ${named.join('; ')}${more}`;
}
