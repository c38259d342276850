import { PgferryError } from '../../errors/pgferry-error.js';
import { leadingWords } from '../sql/split-statements.js';

// What a restore refuses to run from an archive's schema files, signed or not: a backup's
// pre-data, post-data and clean steps never hold these, so one that does was crafted. The
// signature is what makes an archive trustworthy; this keeps a trusted-but-foreign archive
// from leaving the restore's transaction or changing the cluster (roles, databases, settings).
const refusedStarts: ReadonlyArray<readonly string[]> = [
  ['BEGIN'],
  ['START', 'TRANSACTION'],
  ['COMMIT'],
  ['END'],
  ['ROLLBACK'],
  ['ABORT'],
  ['SAVEPOINT'],
  ['RELEASE'],
  ['PREPARE', 'TRANSACTION'],
  ['SET', 'TRANSACTION'],
  ['SET', 'SESSION'],
  ['SET', 'ROLE'],
  ['SET', 'LOCAL', 'ROLE'],
  ['SET', 'LOCAL', 'SESSION'],
  ['RESET'],
  ['CREATE', 'ROLE'],
  ['CREATE', 'USER'],
  ['CREATE', 'GROUP'],
  ['ALTER', 'ROLE'],
  ['ALTER', 'USER'],
  ['ALTER', 'GROUP'],
  ['DROP', 'ROLE'],
  ['DROP', 'USER'],
  ['DROP', 'GROUP'],
  ['DROP', 'OWNED'],
  ['REASSIGN', 'OWNED'],
  ['ALTER', 'SYSTEM'],
  ['CREATE', 'DATABASE'],
  ['ALTER', 'DATABASE'],
  ['DROP', 'DATABASE'],
  ['CREATE', 'TABLESPACE'],
  ['ALTER', 'TABLESPACE'],
  ['DROP', 'TABLESPACE'],
  ['CREATE', 'EVENT', 'TRIGGER'],
  ['CREATE', 'SUBSCRIPTION'],
  ['ALTER', 'SUBSCRIPTION'],
  ['DO'],
  ['CALL'],
  ['COPY'],
  ['LOAD'],
  ['CHECKPOINT'],
  ['VACUUM'],
  ['CLUSTER'],
  ['LISTEN'],
  ['NOTIFY'],
  ['LOCK'],
  ['DISCARD'],
  ['EXECUTE'],
  ['PREPARE'],
  ['DECLARE'],
  ['FETCH'],
  ['\\'],
];

// The only SELECTs a backup writes, whole: sequence positions and large objects, with literal
// arguments only (a SELECT could otherwise call any function, one created just before it too).
const literal = String.raw`(?:'(?:[^']|'')*'|-?\d+|true|false)`;
const allowedSelects = [
  new RegExp(String.raw`^SELECT pg_catalog\.setval\(${literal}, ${literal}, ${literal}\)$`, 'i'),
  new RegExp(String.raw`^SELECT pg_catalog\.lo_create\(${literal}\)$`, 'i'),
  new RegExp(String.raw`^SELECT pg_catalog\.lo_unlink\(oid\) FROM pg_catalog\.pg_largeobject_metadata WHERE oid = ${literal}$`, 'i'),
];

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((word, index) => words[index] === word);
}

export interface StatementPlace {
  /** The last step of post-data: event triggers go there, after every other statement has run. */
  last?: boolean;
}

/** Why a statement is refused, or undefined when a restore may run it. */
export function refusedStatementReason(statement: string, place: StatementPlace = {}): string | undefined {
  const words = leadingWords(statement, 6);
  const refused = refusedStarts.find(
    (prefix) =>
      startsWith(words, prefix) &&
      // CREATE/ALTER/DROP USER MAPPING is a foreign-server object, not a role.
      !(prefix[1] === 'USER' && words[2] === 'MAPPING') &&
      // An event trigger fires on later DDL: only once nothing of the restore is left to run.
      !(prefix[1] === 'EVENT' && place.last === true),
  );
  if (refused) return `${refused.join(' ')} statements are never part of ${refused[1] === 'EVENT' ? 'a backup before its last step' : "a backup's schema"}`;
  // GRANT role TO … / REVOKE role FROM … change role membership; privilege grants name an object with ON.
  if ((words[0] === 'GRANT' || words[0] === 'REVOKE') && !/\sON\s/i.test(statement.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' '))) {
    return 'role membership grants are never part of a backup\'s schema';
  }
  if (words[0] === 'SELECT' && !allowedSelects.some((pattern) => pattern.test(statement.trim()))) {
    return 'a SELECT can call any function; a backup only writes pg_catalog.setval and large-object calls';
  }
  return undefined;
}

/** Refuses the first statement a restore must not run, naming the file and the statement's start. */
export function assertRestorableStatements(statements: readonly string[], file: string, place: StatementPlace = {}): void {
  for (const statement of statements) {
    const reason = refusedStatementReason(statement, place);
    if (reason) {
      const shown = statement.replace(/\s+/g, ' ').slice(0, 80);
      throw new PgferryError('PGF_ARCHIVE_STATEMENT_REFUSED', `${file} holds a statement a restore does not run: "${shown}${statement.length > 80 ? '…' : ''}" (${reason}); nothing was restored — the archive was altered or is not a pgferry backup`, {
        details: { file },
      });
    }
  }
}
