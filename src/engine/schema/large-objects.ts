import type pg from 'pg';

/** Bytes read and written per statement: a large object (up to 4 TB) is never held whole. */
const pieceBytes = 1024 * 1024;
/** INV_WRITE of libpq-fs.h, for lo_open. */
const invWrite = 0x20000;

/**
 * Copies every large object's data from `source` (a session inside the snapshot
 * transaction) to `destination`, keeping OIDs. A missing object is created; an existing one
 * is unlinked and created anew with `replace` (losing its comment, owner and ACL, which
 * the metadata objects restore), else overwritten in place and cut to the source's length.
 */
export async function copyLargeObjects(
  source: pg.Client,
  destination: pg.Client,
  options: { replace: boolean },
): Promise<{ count: number; bytes: number }> {
  const { rows } = await source.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid');
  let bytes = 0;
  for (const { oid } of rows) {
    const existing = await destination.query('SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = $1::oid', [oid]);
    const exists = existing.rowCount !== null && existing.rowCount > 0;
    if (exists && options.replace) await destination.query('SELECT pg_catalog.lo_unlink($1::oid)', [oid]);
    if (!exists || options.replace) await destination.query('SELECT pg_catalog.lo_create($1::oid)', [oid]);
    let offset = 0;
    for (;;) {
      const piece = await source.query<{ data: Buffer }>('SELECT pg_catalog.lo_get($1::oid, $2::int8, $3::int4) AS data', [oid, offset, pieceBytes]);
      const data = piece.rows[0]?.data ?? Buffer.alloc(0);
      if (data.length > 0) await destination.query('SELECT pg_catalog.lo_put($1::oid, $2::int8, $3::bytea)', [oid, offset, data]);
      offset += data.length;
      if (data.length < pieceBytes) break;
    }
    // An object kept in place may have been longer than the source's.
    if (exists && !options.replace) {
      await destination.query('SELECT pg_catalog.lo_truncate64(pg_catalog.lo_open($1::oid, $2::int4), $3::int8)', [oid, invWrite, offset]);
    }
    bytes += offset;
  }
  return { count: rows.length, bytes };
}

/** md5 over every large object in OID order of `oid:md5(data)`; equal on two databases when their large objects are. Reads each object whole: for tests. */
export async function largeObjectChecksum(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ sum: string }>(`
    SELECT md5(coalesce(string_agg(m.oid::text || ':' || md5(pg_catalog.lo_get(m.oid)), ',' ORDER BY m.oid), '')) AS sum
      FROM pg_catalog.pg_largeobject_metadata m`);
  return rows[0]!.sum;
}
