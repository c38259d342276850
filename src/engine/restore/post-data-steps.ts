/**
 * One table's post-data cut into steps the restore can spread over its sessions:
 * `head` (constraints: ALTER TABLE takes an exclusive lock, so one session), then every
 * index on its own (CREATE INDEX takes a SHARE lock: several build at once on one table),
 * then `tail` (triggers, row security, policies) once every index is built.
 *
 * A plain primary key or unique constraint is built the way pgcopydb builds it: its unique
 * index as one more parallel index step, then `ADD CONSTRAINT … USING INDEX` (a catalog
 * change) first in `tail`. So a table's GIN index no longer waits for its primary key.
 */
export interface PostDataSteps {
  head: string[];
  /** Each index with the statements that belong to it (its comment), slowest kinds first. */
  indexes: string[][];
  tail: string[];
}

// `ALTER TABLE s.t ADD CONSTRAINT c PRIMARY KEY (a, b)` exactly as the backup writes it; any
// option (INCLUDE, WITH, USING INDEX TABLESPACE, DEFERRABLE, NULLS NOT DISTINCT) keeps the
// statement as it is.
const plainKey = /^ALTER TABLE (.+) ADD CONSTRAINT ((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)) (PRIMARY KEY|UNIQUE) (\((?:"(?:[^"]|"")*"|[^"()])+\))$/;

const createIndex = /^CREATE (UNIQUE )?INDEX /;
const indexComment = /^COMMENT ON INDEX /;
// GIN and GiST builds take many times longer than a B-tree on the same rows: start them first.
const slowIndex = / USING (gin|gist|spgist) \(/;

/**
 * Splits a group's statements (in the order the backup wrote them) into steps. `keysAsIndexes`
 * only for tables that hold rows: a partitioned parent cannot take ADD CONSTRAINT … USING INDEX.
 */
export function postDataSteps(statements: readonly string[], options: { keysAsIndexes: boolean } = { keysAsIndexes: true }): PostDataSteps {
  const steps: PostDataSteps = { head: [], indexes: [], tail: [] };
  const attach: string[] = [];
  let index = 0;
  const later: string[] = [];
  while (index < statements.length && !createIndex.test(statements[index]!)) {
    const statement = statements[index++]!;
    const key = options.keysAsIndexes ? plainKey.exec(statement) : null;
    // A comment on the constraint would need it to exist: such keys stay as they are.
    if (key === null || statements.some((s) => s.startsWith(`COMMENT ON CONSTRAINT ${key[2]} ON `))) {
      // Constraints and their comments; anything else (CLUSTER ON a key's index) waits for the keys.
      if (/^ALTER TABLE .+ ADD CONSTRAINT |^COMMENT ON (CONSTRAINT|INDEX) /.test(statement) && later.length === 0) steps.head.push(statement);
      else later.push(statement);
      continue;
    }
    const [, table, name, kind, columns] = key;
    const unit = [`CREATE UNIQUE INDEX ${name} ON ${table} ${columns}`];
    // The key's index comment comes right after the key: it goes with the index.
    while (index < statements.length && statements[index]!.startsWith('COMMENT ON INDEX ') && statements[index]!.includes(`.${name} IS `)) unit.push(statements[index++]!);
    steps.indexes.push(unit);
    attach.push(`ALTER TABLE ${table} ADD CONSTRAINT ${name} ${kind} USING INDEX ${name}`);
  }
  while (index < statements.length && createIndex.test(statements[index]!)) {
    const unit = [statements[index++]!];
    while (index < statements.length && indexComment.test(statements[index]!)) unit.push(statements[index++]!);
    steps.indexes.push(unit);
  }
  steps.tail = [...attach, ...later, ...statements.slice(index)];
  const slow = (unit: string[]) => (slowIndex.test(unit[0]!) ? 0 : 1);
  steps.indexes.sort((a, b) => slow(a) - slow(b));
  return steps;
}
