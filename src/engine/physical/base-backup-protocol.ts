import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { quoteLiteral } from '../sql/quote-ident.js';
import { type WireMessage, cStrings, dataRow, errorFields, rowDescription, wireCommand } from './wire-command.js';

export interface BaseBackupRequest {
  label: string;
  /** Put the WAL from start to end into the base archive (pg_wal/), so the backup restores alone. */
  includeWal: boolean;
  /** PostgreSQL 17+: only the blocks changed since the manifest sent by UPLOAD_MANIFEST on this connection. */
  incremental?: boolean | undefined;
}

/**
 * The BASE_BACKUP command for a server: PostgreSQL 15 took the parenthesised option list
 * (and the one-CopyOut answer); 13 and 14 know only the keyword form. Always: an immediate
 * checkpoint, no wait for WAL archiving (pgferry fetches or streams WAL itself), and the
 * server's backup_manifest with SHA-256 per file, which the received files are checked
 * against. No TABLESPACE_MAP: tablespaces arrive as pg_tblspc symlinks, which restore maps.
 */
export function baseBackupCommand(serverVersionNum: number, request: BaseBackupRequest): string {
  const label = quoteLiteral(request.label);
  if (serverVersionNum >= 150000) {
    const options = [`LABEL ${label}`, "CHECKPOINT 'fast'", `WAL ${request.includeWal ? 'true' : 'false'}`, 'WAIT false', "MANIFEST 'yes'", "MANIFEST_CHECKSUMS 'SHA256'"];
    if (request.incremental) options.push('INCREMENTAL');
    return `BASE_BACKUP (${options.join(', ')})`;
  }
  return `BASE_BACKUP LABEL ${label} FAST${request.includeWal ? ' WAL' : ''} NOWAIT MANIFEST 'yes' MANIFEST_CHECKSUMS 'SHA256'`;
}

export interface Tablespace {
  /** null for the main data directory. */
  oid: number | null;
  /** Where the tablespace lives on the server (null for the main data directory). */
  location: string | null;
}

export type BaseBackupEvent =
  | { type: 'start'; lsn: string; timeline: number }
  | { type: 'tablespaces'; tablespaces: Tablespace[] }
  /** A tar archive begins (the previous one, if any, has ended). */
  | { type: 'archive'; tablespace: Tablespace }
  /** The backup_manifest begins (the last archive has ended). */
  | { type: 'manifest' }
  /** Bytes of the current archive or of the manifest. */
  | { type: 'data'; chunk: Buffer }
  /** The current archive or manifest has ended. */
  | { type: 'copy-done' }
  | { type: 'end'; lsn: string; timeline: number }
  | { type: 'notice'; severity: string; message: string };

function serverError(body: Buffer): PgferryError {
  const fields = errorFields(body);
  const hint = fields.H ? ` (hint: ${fields.H})` : '';
  const fix =
    fields.C === '42501'
      ? '; the role needs the REPLICATION attribute (ALTER ROLE … REPLICATION) or superuser'
      : fields.C === '53400'
        ? '; raise max_wal_senders on the server'
        : fields.C === '55000'
          ? '; for an incremental backup this means the server no longer has the WAL summaries since its parent (wal_summary_keep_time): take a full backup'
          : '';
  return new PgferryError('PGF_BACKUP_FAILED', `the server failed the base backup: ${fields.M ?? 'unknown error'}${fields.D ? ` — ${fields.D}` : ''}${hint} [SQLSTATE ${fields.C ?? '?'}]${fix}`, {
    details: { sqlstate: fields.C ?? null },
  });
}

const position = (row: (string | null)[] | undefined, what: string): { lsn: string; timeline: number } => {
  const lsn = row?.[0];
  const timeline = Number(row?.[1]);
  if (!lsn || !Number.isInteger(timeline)) throw new PgferryError('PGF_BACKUP_FAILED', `the server sent no ${what} position for the base backup`);
  return { lsn, timeline };
};

/** The data of a CopyData body as it arrived (its pieces, not joined), after `skip` bytes of the first piece. */
function* dataEvents(parts: readonly Buffer[], skip: number): Generator<BaseBackupEvent> {
  for (const [at, part] of parts.entries()) {
    const chunk = at === 0 ? part.subarray(skip) : part;
    if (chunk.length > 0) yield { type: 'data', chunk };
  }
}

/**
 * Runs BASE_BACKUP on a replication connection and yields its answer as events, in order.
 * The caller's awaiting between events is the backpressure: no message is read until the
 * previous one was handled. A server error ends the iteration with PGF_BACKUP_FAILED.
 */
export async function* baseBackupEvents(client: pg.Client, serverVersionNum: number, request: BaseBackupRequest): AsyncGenerator<BaseBackupEvent> {
  const oneCopy = serverVersionNum >= 150000;
  let resultSets = 0;
  let rows: (string | null)[][] = [];
  let inResult = false;
  let tablespaces: Tablespace[] = [];
  let copies = 0;
  let failure: PgferryError | undefined;

  function* closeResult(): Generator<BaseBackupEvent> {
    if (!inResult) return;
    inResult = false;
    resultSets += 1;
    if (resultSets === 1) yield { type: 'start', ...position(rows[0], 'start') };
    else if (resultSets === 2) {
      tablespaces = rows.map((row) => ({ oid: row[0] === null || row[0] === undefined ? null : Number(row[0]), location: row[1] ?? null }));
      yield { type: 'tablespaces', tablespaces };
    } else yield { type: 'end', ...position(rows[0], 'end') };
    rows = [];
  }

  const handle = function* (message: WireMessage): Generator<BaseBackupEvent> {
    switch (message.code) {
      case 'T':
        yield* closeResult();
        rowDescription(message.body);
        inResult = true;
        return;
      case 'D':
        rows.push(dataRow(message.body));
        return;
      case 'C':
        yield* closeResult();
        return;
      case 'H':
        yield* closeResult();
        if (!oneCopy) {
          // 13/14: one CopyOut per tablespace, in the order listed, then the manifest's.
          const tablespace = tablespaces[copies];
          copies += 1;
          yield tablespace ? { type: 'archive', tablespace } : { type: 'manifest' };
        }
        return;
      case 'd':
        if (!oneCopy) {
          yield* dataEvents(message.parts, 0);
          return;
        }
        switch (String.fromCharCode(message.parts[0]?.[0] ?? 0)) {
          case 'n': {
            const [, location] = cStrings(message.body, 1, 2);
            const found = tablespaces.find((t) => (t.location ?? '') === (location ?? ''));
            yield { type: 'archive', tablespace: found ?? { oid: null, location: location || null } };
            return;
          }
          case 'd':
            yield* dataEvents(message.parts, 1);
            return;
          case 'm':
            yield { type: 'manifest' };
            return;
          default:
            // 'p' progress (only with PROGRESS, which we do not ask for).
            return;
        }
      case 'c':
        yield { type: 'copy-done' };
        return;
      case 'E':
        failure ??= serverError(message.body);
        return;
      case 'N': {
        const fields = errorFields(message.body);
        yield { type: 'notice', severity: fields.S ?? 'NOTICE', message: fields.M ?? '' };
        return;
      }
      default:
        return;
    }
  };

  for await (const message of wireCommand(client, baseBackupCommand(serverVersionNum, request))) {
    yield* handle(message);
  }
  yield* closeResult();
  if (failure) throw failure;
  if (resultSets < 3) throw new PgferryError('PGF_BACKUP_FAILED', 'the base backup ended before the server sent its end position; the backup is incomplete');
}
