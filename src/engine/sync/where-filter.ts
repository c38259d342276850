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

const identStart = /[A-Za-z_\u0080-\uffff]/;
const identPart = /[A-Za-z0-9_$\u0080-\uffff]/;
const digit = /[0-9]/;
const dollarDelimiter = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

function excerpt(filter: string): string {
  const flat = filter.replace(/\s+/g, ' ').trim();
  return `"${flat.length > 80 ? `${flat.slice(0, 80)}…` : flat}"`;
}

/**
 * Proves that a filter is one expression that stays inside the parentheses it is wrapped in,
 * the way PostgreSQL's lexer reads it (with `standard_conforming_strings = on`, which every
 * pgferry session sets): string literals ('…', E'…' with backslash escapes, B'…', X'…',
 * U&'…'), quoted identifiers ("…"), dollar quotes ($tag$…$tag$) and numbers are skipped as
 * whole tokens; outside them the filter may hold no comment (`--`, `/*`), no `;` and no NUL,
 * and its parentheses must balance without ever closing one it did not open. So
 * `true) or (true` cannot cancel the cursor or range condition joined after it. Throws
 * PGF_FILTER_INVALID naming the filter, the cause and the position.
 */
export function checkFilter(filter: string): void {
  const refuse = (cause: string, at?: number): never => {
    throw new PgferryError(
      'PGF_FILTER_INVALID',
      `the WHERE filter ${excerpt(filter)} ${cause}${at === undefined ? '' : ` (at character ${at + 1})`}; write one boolean expression (e.g. region = 'eu' AND id > 100) with balanced parentheses and no comment or ';'`,
    );
  };
  if (filter.trim() === '') refuse('is empty');
  const nul = filter.indexOf('\u0000');
  if (nul >= 0) refuse('holds a NUL character', nul);
  const n = filter.length;
  // End of a quoted token opened at `start` (the index after its closing quote).
  const skipQuoted = (start: number, quote: "'" | '"', backslashEscapes: boolean): number => {
    let i = start + 1;
    while (i < n) {
      const c = filter[i]!;
      if (backslashEscapes && c === '\\') {
        i += 2;
      } else if (c === quote) {
        if (filter[i + 1] === quote) i += 2;
        else return i + 1;
      } else {
        i += 1;
      }
    }
    return refuse(quote === '"' ? 'has a quoted identifier that is never closed' : 'has a string literal that is never closed', start);
  };
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = filter[i]!;
    const next = filter[i + 1];
    if (c === "'") {
      i = skipQuoted(i, "'", false);
    } else if (c === '"') {
      i = skipQuoted(i, '"', false);
    } else if (identStart.test(c)) {
      // A word is read whole (`somee'x'` is a word and a plain string); only a lone E starts an escape string.
      const start = i;
      while (i < n && identPart.test(filter[i]!)) i += 1;
      if (i - start === 1 && (c === 'e' || c === 'E') && filter[i] === "'") i = skipQuoted(i, "'", true);
    } else if (digit.test(c)) {
      // Digits, a fraction and an exponent only when a digit follows its E: PostgreSQL before
      // 15 reads `1e'…'` as the number 1 and an escape string, and so does this.
      while (i < n && /[0-9_]/.test(filter[i]!)) i += 1;
      if (filter[i] === '.') {
        i += 1;
        while (i < n && /[0-9_]/.test(filter[i]!)) i += 1;
      }
      if (/[eE]/.test(filter[i] ?? '') && /^[+-]?[0-9]/.test(filter.slice(i + 1, i + 3))) {
        i += /[+-]/.test(filter[i + 1]!) ? 2 : 1;
        while (i < n && digit.test(filter[i]!)) i += 1;
      }
    } else if (c === '$') {
      if (next !== undefined && digit.test(next)) {
        i += 1;
        while (i < n && digit.test(filter[i]!)) i += 1;
        continue;
      }
      dollarDelimiter.lastIndex = i;
      const delimiter = dollarDelimiter.exec(filter)?.[0];
      if (delimiter === undefined) {
        i += 1;
        continue;
      }
      const end = filter.indexOf(delimiter, i + delimiter.length);
      if (end < 0) refuse(`has a dollar-quoted string (${delimiter}) that is never closed`, i);
      i = end + delimiter.length;
    } else if ((c === '-' && next === '-') || (c === '/' && next === '*')) {
      refuse(`holds a comment (${c}${next})`, i);
    } else if (c === ';') {
      refuse("holds a ';' (a filter is one expression, not statements)", i);
    } else if (c === '(') {
      depth += 1;
      i += 1;
    } else if (c === ')') {
      if (depth === 0) refuse("closes a parenthesis it did not open, which would leave the filter's own parentheses", i);
      depth -= 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  if (depth > 0) refuse(`leaves ${depth} parenthes${depth === 1 ? 'is' : 'es'} open`);
}

/**
 * Replaces `{{name}}` with a bound parameter read, after `checkFilter` proved the filter is
 * one expression (checked again once bound). The filter is otherwise used as written, inside
 * a read-only snapshot transaction.
 */
export function bindFilter(filter: string, placeholders: Readonly<Record<string, PlaceholderValue>>, params: QueryParams): string {
  checkFilter(filter);
  const bound = filter.replace(placeholderPattern, (_, name: string) => {
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
  checkFilter(bound);
  return bound;
}

/** The WHERE clause body wrapping a filter, which `checkFilter` proves cannot escape it. */
export function wrapFilter(filter: string): string {
  checkFilter(filter);
  return `(\n${filter}\n)`;
}
