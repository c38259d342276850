import type pg from 'pg';

/**
 * Values for the source SELECT. COPY cannot take bind parameters, so each value is bound
 * with `set_config($1, $2, true)` (a real parameter, local to the snapshot transaction) and
 * the query reads it back with `current_setting(…)`: no value is ever spliced into SQL text.
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

/** Sets the values on a client inside its current transaction. */
export async function applyQueryParams(client: pg.Client, params: QueryParams): Promise<void> {
  if (params.entries.length === 0) return;
  await client.query('SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS x(n, v)', [
    params.entries.map(([name]) => name),
    params.entries.map(([, value]) => value),
  ]);
}
