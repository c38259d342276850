import { beforeAll, describe, expect, it } from 'vitest';

import { copyLargeObjects, largeObjectChecksum } from '../../../src/engine/schema/large-objects.js';
import { readLargeObjects } from '../../../src/engine/schema/read/read-large-objects.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { applyObjects, readWith, runScript, withClient } from './database-objects-harness.js';

const metadata = `
  SELECT m.oid::text AS oid, pg_get_userbyid(m.lomowner) AS owner, m.lomacl::text AS acl, obj_description(m.oid, 'pg_largeobject') AS comment,
         (SELECT coalesce(sum(length(data)), 0) FROM pg_catalog.pg_largeobject l WHERE l.loid = m.oid)::int AS size
    FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid`;

describe('large objects', () => {
  let source: { url: string };
  beforeAll(async () => {
    source = await createTestDatabase({ migrated: false, prefix: 'pgf_lo' });
    // One over 1 MB (several pieces: 2.56 MB), one empty, one with a comment and a grant, one of exactly one piece.
    await runScript(
      source.url,
      `SELECT lo_from_bytea(70001, convert_to((SELECT string_agg(md5(i::text), '') FROM generate_series(1, 80000) i), 'UTF8'));
       SELECT lo_create(70002);
       SELECT lo_from_bytea(70003, '\\x00ff0a27'::bytea);
       COMMENT ON LARGE OBJECT 70003 IS 'it''s small';
       GRANT SELECT ON LARGE OBJECT 70003 TO PUBLIC;
       SELECT lo_from_bytea(70004, convert_to(repeat('a', 1024 * 1024), 'UTF8'));`,
    );
  });

  it('copies metadata and data with their OIDs, then again in place and with replace', async () => {
    const destination = await createTestDatabase({ migrated: false, prefix: 'pgf_lo' });
    await withClient(source.url, async (from) => {
      const objects = await readWith(from, [readLargeObjects]);
      expect(objects.map((o) => o.key)).toEqual(['large object 70001', 'large object 70002', 'large object 70003', 'large object 70004']);
      expect(objects[2]!.create).toEqual([`SELECT pg_catalog.lo_create('70003')`, `COMMENT ON LARGE OBJECT 70003 IS 'it''s small'`]);
      expect(objects[2]).toMatchObject({ section: 'pre-data', owner: 'postgres', acl: '{postgres=rw/postgres,=r/postgres}' });
      await applyObjects(destination.url, objects);
      await withClient(destination.url, (to) => to.query(`GRANT SELECT ON LARGE OBJECT 70003 TO PUBLIC`));

      await withClient(destination.url, async (to) => {
        await from.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await copyLargeObjects(from, to, { replace: false });
        await from.query('COMMIT');
        expect(result).toEqual({ count: 4, bytes: 80000 * 32 + 4 + 1024 * 1024 });
        expect(await largeObjectChecksum(to)).toBe(await largeObjectChecksum(from));
        expect((await to.query(metadata)).rows).toEqual((await from.query(metadata)).rows);

        // An existing, longer object is overwritten and cut to the source's length.
        await to.query(`SELECT lo_put(70003, 0, '\\x0102030405060708'::bytea)`);
        await to.query(`SELECT lo_put(70002, 0, '\\x01'::bytea)`);
        expect(await largeObjectChecksum(to)).not.toBe(await largeObjectChecksum(from));
        await copyLargeObjects(from, to, { replace: false });
        expect(await largeObjectChecksum(to)).toBe(await largeObjectChecksum(from));
        expect((await to.query(metadata)).rows).toEqual((await from.query(metadata)).rows);

        // replace: unlinked and created anew (the comment goes with it; the metadata objects restore it).
        await to.query(`SELECT lo_put(70001, 5, '\\xdeadbeef'::bytea)`);
        const again = await copyLargeObjects(from, to, { replace: true });
        expect(again.count).toBe(4);
        expect(await largeObjectChecksum(to)).toBe(await largeObjectChecksum(from));
        const oids = await to.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid');
        expect(oids.rows.map((r) => r.oid)).toEqual(['70001', '70002', '70003', '70004']);
      });
    });
  });

  it('gives the same checksum to databases without large objects and a different one otherwise', async () => {
    const empty = await createTestDatabase({ migrated: false, prefix: 'pgf_lo' });
    const [a, b] = await Promise.all([withClient(empty.url, largeObjectChecksum), withClient(source.url, largeObjectChecksum)]);
    expect(a).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(b).not.toBe(a);
  });
});
