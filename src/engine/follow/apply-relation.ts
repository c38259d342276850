import { createHash } from 'node:crypto';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { CatalogColumn } from '../schema/schema-types.js';
import { displayName, qualified, quoteIdent } from '../sql/quote-ident.js';
import { findRule, ruleExpression } from '../sync/column-rules.js';
import { QueryParams } from '../sync/query-params.js';
import type { TablePlan } from '../sync/sync-plan-types.js';
import type { ColumnRule } from '../types.js';
import type { RunChange } from './change-runs.js';
import type { PgoutputMessage, TupleValue } from './pgoutput-decoder.js';

export type RelationMessage = Extract<PgoutputMessage, { tag: 'relation' }>;

/** A statement ready for pg: named (prepared once per session), text, parameters. */
export interface Statement {
  name: string;
  text: string;
  values: (string | null | (string | null)[])[];
}

export interface SourceType {
  /** `format_type(oid, typmod)` on the source. */
  type: string;
  /** pg_type.typcategory (rules need it). */
  category: string;
}

/** A column added at the source, as its catalog has it now (`default` deparsed by the server). */
export interface AddedColumn {
  default: string | null;
  notNull: boolean;
  /** The existing rows read the default without a rewrite (a non-volatile default). */
  hasMissing: boolean;
}

/** A destination column and the expression (over the source row's columns) that fills it: the copy's, rules applied. */
interface Target {
  column: string;
  expression: string;
}

/** Key types whose text is canonical: two changes touch the same row exactly when their key texts are equal. */
const canonicalKeyType = /^(smallint|integer|bigint|uuid|text|character varying(\(\d+\))?|date)$/;

/** A change that can be applied together with others of its run (see set-statements.ts). */
export type SetChange = RunChange<{ old: TupleValue[] | null; new: TupleValue[] | null }>;

const whole = (tuple: TupleValue[]): boolean => {
  for (const value of tuple) if (value.kind === 'unchanged') return false;
  return true;
};

const needsEscape = /["\\]/;

/**
 * Column `column` of `tuples` as a text[] literal (NULL for null and unchanged values). Built
 * here rather than by pg's array serializer, which escapes every element with two regular
 * expressions: this runs for every value streamed.
 */
export function textArrayLiteral(tuples: readonly TupleValue[][], column: number): string {
  let literal = '{';
  for (let n = 0; n < tuples.length; n++) {
    const value = tuples[n]![column];
    if (n > 0) literal += ',';
    if (value?.kind !== 'text') literal += 'NULL';
    else if (needsEscape.test(value.value)) literal += `"${value.value.replace(/["\\]/g, '\\$&')}"`;
    else literal += `"${value.value}"`;
  }
  return `${literal}}`;
}

const statementName = (text: string) => `pgf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;

/** Collects parameter values while a statement's text is built. */
class Values {
  readonly list: (string | null | (string | null)[])[] = [];
  add(value: string | null | (string | null)[]): string {
    this.list.push(value);
    return `$${this.list.length}`;
  }
}

/**
 * How the streamed changes of one source table become statements at the destination. Every
 * value is a parameter cast to the source column's type; each destination column is filled
 * by the copy's own expression (column rules applied, so a masked value is masked in the
 * stream too), and the copy's filter decides whether a row belongs at the destination.
 */
export class RelationApplier {
  readonly table: TablePlan;
  readonly relation: RelationMessage;
  /** Parameters the rules and filter read with current_setting(), to set in each destination transaction. */
  readonly params: [string, string][];
  readonly #types: string[];
  readonly #targets: Target[];
  /** Columns rows are matched on, by name: a key (compared with =), or null for every column (replica identity FULL without a key). */
  readonly #match: string[] | null;
  /** Positions of the key columns in the source row, when set-based statements are safe for this table (else null). */
  readonly #setKey: number[] | null;
  /** The group of an update that keeps its key and carries every value: all targets but the key (null: nothing to set). */
  readonly #keptKeyGroup: string | null;

  constructor(relation: RelationMessage, table: TablePlan, types: string[], targets: Target[], params: [string, string][]) {
    this.relation = relation;
    this.table = table;
    this.#types = types;
    this.#targets = targets;
    this.params = params;
    const flagged = relation.columns.filter((c) => c.key).map((c) => c.name);
    if (relation.replicaIdentity === 'f') this.#match = table.key && table.key.length > 0 ? table.key : null;
    else this.#match = flagged;
    this.#setKey = this.#setKeyPositions();
    const kept = this.#targets.filter((t) => !(this.#match ?? []).includes(t.column));
    this.#keptKeyGroup = kept.length === 0 ? null : kept.map((t) => t.column).join('\u0000');
  }

  /** A plain key (copied as is, canonical text): its values identify rows in a set-based statement. */
  #setKeyPositions(): number[] | null {
    if (this.#match === null || this.#match.length === 0) return null;
    const positions = this.#match.map((column) => this.relation.columns.findIndex((c) => c.name === column));
    const plain = this.#match.every((column, i) => {
      const position = positions[i]!;
      const target = this.#targets.find((t) => t.column === column);
      return position >= 0 && target?.expression === quoteIdent(column) && canonicalKeyType.test(this.#types[position]!);
    });
    return plain ? positions : null;
  }

  /** The key columns rows are matched on (null: every column, a table without a key). */
  get matchColumns(): readonly string[] | null {
    return this.#match;
  }

  /**
   * The change as a member of a set-based run, or null when it needs its own statement: no
   * plain key, an unchanged TOAST value, an update under a filter (it may enter or leave it).
   */
  setChange(message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>): SetChange | null {
    // Called once per streamed change: no closures or temporary arrays on the common path.
    if (this.#setKey === null) return null;
    if (message.tag === 'insert') {
      const k = this.#keyOf(message.newTuple);
      return k !== null && whole(message.newTuple) ? { kind: 'insert', keys: [k], group: '', item: { old: null, new: message.newTuple } } : null;
    }
    if (message.tag === 'delete') {
      const k = this.#keyOf(message.oldTuple);
      return k !== null ? { kind: 'delete', keys: [k], group: '', item: { old: message.oldTuple, new: null } } : null;
    }
    if (this.table.where !== null || !whole(message.newTuple)) return null;
    const newKey = this.#keyOf(message.newTuple);
    const oldKey = message.oldTuple === null ? newKey : this.#keyOf(message.oldTuple);
    if (newKey === null || oldKey === null) return null;
    // The usual update (whole new row, key kept) assigns every non-key column: its group is known.
    const group = oldKey === newKey && this.#keptKeyGroup !== null ? this.#keptKeyGroup : this.#groupOf(message.oldTuple, message.newTuple);
    if (group === null) return null;
    return { kind: 'update', keys: oldKey === newKey ? [newKey] : [oldKey, newKey], group, item: { old: message.oldTuple, new: message.newTuple } };
  }

  /** The key's canonical text (columns joined by NUL, which text values never contain), or null when a key value is not text. */
  #keyOf(tuple: TupleValue[]): string | null {
    const key = this.#setKey!;
    let joined = '';
    for (let n = 0; n < key.length; n++) {
      const value = tuple[key[n]!];
      if (value?.kind !== 'text') return null;
      joined = n === 0 ? value.value : `${joined}\u0000${value.value}`;
    }
    return joined;
  }

  #groupOf(oldTuple: TupleValue[] | null, newTuple: TupleValue[]): string | null {
    const set = this.#assigned(oldTuple, newTuple);
    return set.length === 0 ? null : set.map((t) => t.column).join('\u0000');
  }

  /** Whether a set-based statement applies to this table at all. */
  get setBased(): boolean {
    return this.#setKey !== null;
  }

  get name(): string {
    return displayName(this.table.name);
  }

  /** The source row as a sub-select aliased as the table (so a filter naming `table.column` works); unchanged TOAST values are NULL there. */
  #row(tuple: TupleValue[], values: Values): string {
    const columns = this.relation.columns.map((column, i) => {
      const value = tuple[i] ?? { kind: 'null' };
      const type = this.#types[i]!;
      if (value.kind === 'unchanged') return `NULL::${type} AS ${quoteIdent(column.name)}`;
      return `${values.add(value.kind === 'text' ? value.value : null)}::${type} AS ${quoteIdent(column.name)}`;
    });
    return `(SELECT ${columns.join(', ')}) AS ${quoteIdent(this.table.name.name)}`;
  }

  /** The destination values of `targets` for a source row, optionally only when the row passes the filter. */
  #projected(tuple: TupleValue[], targets: Target[], values: Values, filtered: boolean): string {
    const where = filtered && this.table.where !== null ? ` WHERE (${this.table.where})` : '';
    return `(SELECT ${targets.map((t) => `${t.expression} AS ${quoteIdent(t.column)}`).join(', ')} FROM ${this.#row(tuple, values)}${where})`;
  }

  #unchanged(tuple: TupleValue[]): Set<string> {
    const names = new Set<string>();
    this.relation.columns.forEach((column, i) => {
      if (tuple[i]?.kind === 'unchanged') names.add(column.name);
    });
    return names;
  }

  #statement(text: string, values: Values): Statement {
    return { name: statementName(text), text, values: values.list };
  }

  insert(tuple: TupleValue[]): Statement {
    if (this.#unchanged(tuple).size > 0) {
      throw new PgferryError(
        'PGF_FOLLOW_APPLY_FAILED',
        `a row of ${this.name} entered the destination (insert, or an update into the filter) without its unchanged TOAST values, which the stream does not carry; set REPLICA IDENTITY FULL on the source table or drop the filter`,
      );
    }
    const values = new Values();
    const columns = this.#targets.map((t) => quoteIdent(t.column)).join(', ');
    return this.#statement(`INSERT INTO ${qualified(this.table.name)} (${columns}) OVERRIDING SYSTEM VALUE SELECT * FROM ${this.#projected(tuple, this.#targets, values, true)} AS n`, values);
  }

  /** Whether the new row passes the filter (true when there is none). */
  filterCheck(tuple: TupleValue[]): Statement | null {
    if (this.table.where === null) return null;
    const values = new Values();
    return this.#statement(`SELECT EXISTS (SELECT FROM ${this.#row(tuple, values)} WHERE (${this.table.where})) AS keep`, values);
  }

  /** The row to change, identified from the old tuple (or the new one when the key did not change). */
  #matching(identity: TupleValue[], values: Values, alias: string): { from: string; where: string } {
    if (this.#match !== null) {
      const keyTargets = this.#match.map((column) => this.#target(column));
      const from = `${this.#projected(identity, keyTargets, values, false)} AS o`;
      return { from, where: keyTargets.map((t) => `${alias}.${quoteIdent(t.column)} = o.${quoteIdent(t.column)}`).join(' AND ') };
    }
    // No key: every column the old row carries, compared as text (json, point… have no =); one row even among duplicates.
    const unchanged = this.#unchanged(identity);
    const targets = this.#targets.filter((t) => !unchanged.has(t.column));
    const predicate = targets.map((t) => `x.${quoteIdent(t.column)}::text IS NOT DISTINCT FROM o.${quoteIdent(t.column)}::text`).join(' AND ');
    const one = `(SELECT x.ctid FROM ${qualified(this.table.name)} AS x, ${this.#projected(identity, targets, values, false)} AS o WHERE ${predicate} LIMIT 1)`;
    return { from: '', where: `${alias}.ctid = ${one}` };
  }

  #target(column: string): Target {
    const target = this.#targets.find((t) => t.column === column);
    if (!target) throw new PgferryError('PGF_FOLLOW_APPLY_FAILED', `the key column "${column}" of ${this.name} is not copied to the destination, so changes cannot find their rows`);
    return target;
  }

  /** The targets an update assigns: not the unchanged TOAST values, nor key columns that kept their value. */
  #assigned(oldTuple: TupleValue[] | null, newTuple: TupleValue[]): Target[] {
    const unchanged = this.#unchanged(newTuple);
    // Key columns that kept their value are left out of SET: a GENERATED ALWAYS identity key cannot be assigned at all.
    for (const column of this.#match ?? []) {
      const i = this.relation.columns.findIndex((c) => c.name === column);
      const before = oldTuple?.[i];
      const after = newTuple[i];
      if (oldTuple === null || (before?.kind === 'text' && after?.kind === 'text' && before.value === after.value)) unchanged.add(column);
    }
    return this.#targets.filter((t) => !unchanged.has(t.column));
  }

  /** Null when nothing is left to set (only unchanged columns). */
  update(oldTuple: TupleValue[] | null, newTuple: TupleValue[]): Statement | null {
    const values = new Values();
    const set = this.#assigned(oldTuple, newTuple);
    if (set.length === 0) return null;
    const assignments = set.map((t) => `${quoteIdent(t.column)} = n.${quoteIdent(t.column)}`).join(', ');
    const newRow = `${this.#projected(newTuple, set, values, false)} AS n`;
    const match = this.#matching(oldTuple ?? newTuple, values, 'd');
    const from = [newRow, match.from].filter((part) => part !== '').join(', ');
    return this.#statement(`UPDATE ${qualified(this.table.name)} AS d SET ${assignments} FROM ${from} WHERE ${match.where}`, values);
  }

  delete(oldTuple: TupleValue[]): Statement {
    const values = new Values();
    const match = this.#matching(oldTuple, values, 'd');
    const using = match.from === '' ? '' : ` USING ${match.from}`;
    return this.#statement(`DELETE FROM ${qualified(this.table.name)} AS d${using} WHERE ${match.where}`, values);
  }

  /**
   * Source rows as a set aliased as the table, one text[] parameter per column (cast back to
   * the column's type, as the per-row statements do), so a statement's text depends only on
   * the shape of its run and is prepared once. `old` adds the key of the rows' old versions.
   */
  #rows(tuples: TupleValue[][], positions: number[], values: Values, old?: TupleValue[][]): string {
    const parameters: string[] = [];
    const selected: string[] = [];
    positions.forEach((i, n) => {
      parameters.push(`${values.add(textArrayLiteral(tuples, i))}::text[]`);
      selected.push(`u.pgf_v${n}::${this.#types[i]!} AS ${quoteIdent(this.relation.columns[i]!.name)}`);
    });
    if (old) {
      this.#setKey!.forEach((i, n) => {
        parameters.push(`${values.add(textArrayLiteral(old, i))}::text[]`);
        selected.push(`u.pgf_k${n}::${this.#types[i]!} AS pgf_old_${n}`);
      });
    }
    const names = [...positions.map((_, n) => `pgf_v${n}`), ...(old ? this.#setKey!.map((_, n) => `pgf_k${n}`) : [])];
    return `(SELECT ${selected.join(', ')} FROM unnest(${parameters.join(', ')}) AS u(${names.join(', ')})) AS ${quoteIdent(this.table.name.name)}`;
  }

  #allPositions(): number[] {
    return this.relation.columns.map((_, i) => i);
  }

  /** Inserts rows of distinct keys in one statement (the filter applied to each). */
  insertMany(tuples: TupleValue[][]): Statement {
    const values = new Values();
    const columns = this.#targets.map((t) => quoteIdent(t.column)).join(', ');
    const where = this.table.where !== null ? ` WHERE (${this.table.where})` : '';
    const select = this.#targets.map((t) => `${t.expression} AS ${quoteIdent(t.column)}`).join(', ');
    return this.#statement(`INSERT INTO ${qualified(this.table.name)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${select} FROM ${this.#rows(tuples, this.#allPositions(), values)}${where}`, values);
  }

  /** Updates rows of distinct keys that assign the same columns (`setChange` grouped them), matched on their old key. */
  updateMany(changes: { old: TupleValue[] | null; new: TupleValue[] }[]): Statement {
    const values = new Values();
    const set = this.#assigned(changes[0]!.old, changes[0]!.new);
    const select = [...set.map((t) => `${t.expression} AS ${quoteIdent(t.column)}`), ...this.#setKey!.map((_, n) => `pgf_old_${n}`)].join(', ');
    const rows = this.#rows(
      changes.map((c) => c.new),
      this.#allPositions(),
      values,
      changes.map((c) => c.old ?? c.new),
    );
    const assignments = set.map((t) => `${quoteIdent(t.column)} = n.${quoteIdent(t.column)}`).join(', ');
    const where = this.#match!.map((column, n) => `d.${quoteIdent(column)} = n.pgf_old_${n}`).join(' AND ');
    return this.#statement(`UPDATE ${qualified(this.table.name)} AS d SET ${assignments} FROM (SELECT ${select} FROM ${rows}) AS n WHERE ${where}`, values);
  }

  /** Deletes rows of distinct keys in one statement. */
  deleteMany(oldTuples: TupleValue[][]): Statement {
    const values = new Values();
    const rows = this.#rows(oldTuples, this.#setKey!, values);
    const where = this.#match!.map((column) => `d.${quoteIdent(column)} = o.${quoteIdent(column)}`).join(' AND ');
    return this.#statement(`DELETE FROM ${qualified(this.table.name)} AS d USING (SELECT * FROM ${rows}) AS o WHERE ${where}`, values);
  }
}

/** What a Relation message asks of the destination before its changes can be applied. */
export interface RelationChange {
  applier: RelationApplier;
  /** ALTER TABLE … ADD COLUMN statements for columns added at the source. */
  addColumns: string[];
}

/**
 * Checks a Relation message against what is known of the table (the previous message of the
 * same relation in this process, else the plan) and builds its applier. An added column is
 * added at the destination (same type, the rules that match it applied); a dropped or
 * retyped column or a renamed table stops the follow (PGF_FOLLOW_SCHEMA_CHANGED).
 */
export async function relationChange(input: {
  relation: RelationMessage;
  previous: RelationMessage | undefined;
  plans: readonly TablePlan[];
  destinationColumns: ReadonlySet<string>;
  resolveType: (oid: number, typmod: number) => Promise<SourceType>;
  describeColumn: (relationOid: number, column: string) => Promise<AddedColumn | undefined>;
  rules: readonly ColumnRule[];
  ruleKey: string;
}): Promise<RelationChange> {
  const { relation, previous } = input;
  const label = `${quoteIdent(relation.schema)}.${quoteIdent(relation.name)}`;
  const stop = (change: string) =>
    new PgferryError(
      'PGF_FOLLOW_SCHEMA_CHANGED',
      `table ${label} changed at the source: ${change}; the destination cannot follow it. Apply the same change at the destination and start a new follow (drop this one), or undo it at the source`,
      { details: { table: label, change } },
    );
  const plan = input.plans.find((p) => p.source.oid === relation.relationOid);
  if (!plan) throw stop('it is not one of the followed tables (was it renamed or re-created?)');
  if (plan.name.schema !== relation.schema || plan.name.name !== relation.name || (previous && (previous.schema !== relation.schema || previous.name !== relation.name))) {
    throw stop(`it was renamed (now ${label}, followed as ${displayName(plan.name)})`);
  }
  const before = previous?.columns ?? plan.source.columns.filter((c) => c.generated === null).map((c) => ({ name: c.name, typeOid: c.typeOid }));
  for (const column of before) {
    const now = relation.columns.find((c) => c.name === column.name);
    // Against the plan (read now) a column missing from an older Relation message may just not exist yet in that WAL.
    if (!now && previous) throw stop(`column "${column.name}" was dropped or renamed`);
    if (now && now.typeOid !== column.typeOid) throw stop(`column "${column.name}" changed type`);
  }

  const types: string[] = [];
  const targets: Target[] = [];
  const params: [string, string][] = [...plan.params];
  const addColumns: string[] = [];
  for (const column of relation.columns) {
    const known = plan.source.columns.find((c) => c.name === column.name && c.typeOid === column.typeOid);
    const resolved = known ? { type: known.type, category: known.category } : await input.resolveType(column.typeOid, column.typeMod);
    types.push(resolved.type);
    const index = plan.columns.indexOf(column.name);
    if (index >= 0 && input.destinationColumns.has(column.name)) {
      targets.push({ column: column.name, expression: plan.expressions[index]! });
      continue;
    }
    if (!input.destinationColumns.has(column.name)) {
      // The source gave its existing rows the default without logging them: the destination must do the same.
      const added = await input.describeColumn(relation.relationOid, column.name);
      if (added?.default != null && !added.hasMissing) throw stop(`column "${column.name}" was added with a volatile default, which gave each existing row its own value`);
      const defaultClause = added?.default == null ? '' : ` DEFAULT ${added.default}`;
      addColumns.push(`ALTER TABLE ${qualified(plan.name)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${resolved.type}${defaultClause}${added?.notNull ? ' NOT NULL' : ''}`);
    }
    const rule = findRule(input.rules, plan.name, column.name);
    if (rule === undefined) {
      targets.push({ column: column.name, expression: quoteIdent(column.name) });
    } else {
      const bound = new QueryParams(`pgferry.f${relation.relationOid}_${column.name.length}_${targets.length}_`);
      const catalogColumn: CatalogColumn = {
        name: column.name,
        type: resolved.type,
        typeOid: column.typeOid,
        binarySafe: false,
        category: resolved.category,
        notNull: false,
        default: null,
        identity: '',
        identitySequence: null,
        generated: null,
        collation: null,
        comment: null,
      };
      targets.push({ column: column.name, expression: ruleExpression(rule, catalogColumn, bound, input.ruleKey) });
      params.push(...bound.entries);
    }
  }
  return { applier: new RelationApplier(relation, plan, types, targets, params), addColumns };
}
