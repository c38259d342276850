import { PgferryError } from '../../errors/pgferry-error.js';
import type { QueryParams } from './query-params.js';

/** A placeholder's value and the SQL type it is cast to (text when none). */
export interface PlaceholderValue {
  value: string;
  type?: string | undefined;
}

const placeholderPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the `{{…}}` placeholders a filter uses. */
export function filterPlaceholders(filter: string): string[] {
  return [...filter.matchAll(placeholderPattern)].map((match) => match[1]!);
}

/**
 * Replaces `{{name}}` with a bound parameter read. The filter is otherwise used as written,
 * inside a read-only snapshot transaction, after `validateFilter` proved it is one expression.
 */
export function bindFilter(filter: string, placeholders: Readonly<Record<string, PlaceholderValue>>, params: QueryParams): string {
  return filter.replace(placeholderPattern, (_, name: string) => {
    const placeholder = placeholders[name];
    if (placeholder === undefined) {
      const known = Object.keys(placeholders);
      throw new PgferryError(
        'PGF_FILTER_INVALID',
        `the filter uses {{${name}}}, which has no value${known.length > 0 ? `; known placeholders: ${known.map((k) => `{{${k}}}`).join(', ')}` : ''}`,
      );
    }
    return `(${params.bind(placeholder.value, placeholder.type)})`;
  });
}

/** The WHERE clause body wrapping a filter so that a comment or parenthesis cannot escape it. */
export function wrapFilter(filter: string): string {
  return `(\n${filter}\n)`;
}
