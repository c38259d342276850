/**
 * A server error as users may see it: the SQLSTATE's message without the row values it can
 * carry. PostgreSQL puts values in DETAIL (`Key (email)=(a@b.c) already exists`, `Failing row
 * contains (…)`) and, for data exceptions (class 22), in the message itself (`invalid input
 * syntax for type integer: "<value>"`) — a filter that casts a catalog column would show a
 * password verifier there. Those stay out of run results, API answers and notifications; the
 * full error goes to the server log only. Pure.
 */
export function safeServerReason(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : '';
  if (!/^[0-9A-Z]{5}$/.test(code)) return message;
  // Class 22: everything after the first `: ` is the offending value.
  if (code.startsWith('22')) {
    const colon = message.indexOf(': ');
    return `${colon >= 0 ? message.slice(0, colon) : message} (SQLSTATE ${code}; the value is left out)`;
  }
  return message;
}
