import type pg from 'pg';

/**
 * User-supplied values for the source SELECT (filter placeholders, rule arguments). COPY
 * cannot take bind parameters, so each value is bound with `set_config($1, $2, true)` (a real
 * parameter, local to the snapshot transaction) and the query reads it back with
 * `current_setting(…)`: no user value is spliced into SQL text. Values the engine read from
 * the source itself (the cursor mark, key-range bounds) are quoted literals instead, so the
 * planner can use their indexes.
 */
export class QueryParams {
  readonly #values: [string, string][] = [];
  readonly #prefix: string;

  constructor(prefix = 'pgferry.p') {
    this.#prefix = prefix;
  }

  /** SQL text reading the value, cast to `type` (a catalog type name, never user text). */
  bind(value: string, type?: string): string {
    const name = `${this.#prefix}${this.#values.length + 1}`;
    this.#values.push([name, value]);
    const read = `current_setting('${name}')`;
    return type === undefined ? read : `${read}::${type}`;
  }

  get entries(): readonly [string, string][] {
    return this.#values;
  }
}

/** Sets bound values (`QueryParams.entries`, `TablePlan.params`) on a client inside its current transaction. */
export async function applyQueryParams(client: pg.Client, entries: readonly (readonly [string, string])[]): Promise<void> {
  if (entries.length === 0) return;
  await client.query('SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS x(n, v)', [
    entries.map(([name]) => name),
    entries.map(([, value]) => value),
  ]);
}
