const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete', GET: 'read', HEAD: 'read' };

/**
 * `<resource>.<verb>` for a mutating route unless the route names its own `auditAction`:
 * POST /api/v1/connections → `connection.create`, PATCH …/:id → `connection.update`,
 * POST /api/v1/sync-jobs/:id/run → `sync_job.run` (a POST's trailing word below the collection is the verb).
 */
export function deriveAuditAction(method: string, routeUrl: string, resource: string | undefined): string {
  const type = resource ?? resourceFromUrl(routeUrl);
  const segments = routeUrl.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const last = segments.at(-1);
  let verb = verbs[method] ?? method.toLowerCase();
  if ((method === 'POST' || method === 'GET') && last !== undefined && !last.startsWith(':') && segments.length >= 4) verb = last;
  return `${type}.${verb.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`;
}

/** `/api/v1/storages/:id` → `storages`: a fallback for routes without `auditResource`. */
function resourceFromUrl(routeUrl: string): string {
  const segments = routeUrl.split('/').filter((segment) => segment && !segment.startsWith(':'));
  const index = segments[0] === 'api' && segments[1] === 'v1' ? 2 : 0;
  return (segments[index] ?? 'unknown').replace(/[^a-z0-9]+/gi, '_').toLowerCase();
}
