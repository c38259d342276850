import { unifiedDiff } from '../../engine/diff/line-diff.js';
import type { SchemaDiff, SchemaObjectDifference } from '../../engine/diff/schema-diff.js';

const show = (value: string | null | undefined) => (value === null || value === undefined ? '(default)' : value);

function differentLines(difference: SchemaObjectDifference): string[] {
  const lines = [`  ≠ ${difference.label}`];
  const source = difference.source!;
  const destination = difference.destination!;
  if (difference.aspects.includes('definition')) {
    const diff = unifiedDiff(source.definition, destination.definition, { before: 'source', after: 'destination' });
    lines.push(...diff.map((line) => `      ${line}`));
  }
  if (difference.aspects.includes('owner')) lines.push(`      owner: ${show(source.owner)} → ${show(destination.owner)}`);
  if (difference.aspects.includes('acl')) lines.push(`      acl: ${show(source.acl)} → ${show(destination.acl)}`);
  return lines;
}

/** The human form of `pgferry diff --schema`: missing, extra, different (with a line diff). */
export function schemaDiffLines(diff: SchemaDiff): string[] {
  const lines: string[] = [];
  const group = (status: SchemaObjectDifference['status']) => diff.differences.filter((d) => d.status === status);
  const missing = group('missing');
  const extra = group('extra');
  const different = group('different');
  if (missing.length > 0) {
    lines.push(`Missing on the destination (${missing.length}):`, ...missing.map((d) => `  - ${d.label}`));
  }
  if (extra.length > 0) {
    lines.push(`Extra on the destination (${extra.length}):`, ...extra.map((d) => `  + ${d.label}`));
  }
  if (different.length > 0) {
    lines.push(`Different (${different.length}):`, ...different.flatMap(differentLines));
  }
  const { counts } = diff;
  const total = counts.equal + counts.missing + counts.different + counts.extra;
  lines.push(
    `${total} object(s) compared: ${counts.equal} equal, ${counts.missing} missing on the destination, ${counts.extra} extra, ${counts.different} different`,
  );
  return lines;
}
