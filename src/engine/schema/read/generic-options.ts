import { quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';

/** One generic option of an FDW, server, user mapping, foreign table or foreign column. */
export interface GenericOption {
  name: string;
  value: string;
}

/**
 * SQL expression: the options of a `text[]` column (`name=value` items) as a JSON array of
 * {name, value}, in catalog order (the order OPTIONS gave them), or null when there are none.
 */
export const genericOptionsJson = (optionsColumn: string): string =>
  `(SELECT json_agg(json_build_object('name', o.option_name, 'value', o.option_value) ORDER BY o.n)
      FROM pg_catalog.pg_options_to_table(${optionsColumn}) WITH ORDINALITY AS o(option_name, option_value, n))`;

/** The text shown in place of every option value in `definition` (user mappings hold passwords). */
export const maskedValue = '***';

/** `OPTIONS (name 'value', …)`, or null when there are none; `mask` replaces every value. */
export function optionsClause(options: readonly GenericOption[] | null | undefined, mask = false): string | null {
  if (!options || options.length === 0) return null;
  return `OPTIONS (${options.map((o) => `${quoteIdent(o.name)} ${mask ? quoteLiteral(maskedValue) : quoteLiteral(o.value)}`).join(', ')})`;
}
