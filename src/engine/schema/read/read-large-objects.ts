import { quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, securityLabelStatements, statements } from './read-helpers.js';

interface LargeObjectRow extends Record<string, unknown> {
  class_oid: number;
  oid: string;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

/**
 * Large objects' metadata: each is created empty with its OID (its data is copied apart, see
 * large-objects.ts), with comment, security labels, owner and ACL. Addressed as
 * pg_largeobject, the class comments, labels and pg_shdepend use for them.
 */
export const readLargeObjects: ObjectReader = async (context) => {
  const rows = await context.query<LargeObjectRow>(`
    SELECT 'pg_catalog.pg_largeobject'::regclass::int AS class_oid, m.oid::text AS oid,
           obj_description(m.oid, 'pg_largeobject') AS comment,
           (SELECT json_agg(json_build_object('provider', sl.provider, 'label', sl.label) ORDER BY sl.provider) FROM pg_catalog.pg_seclabel sl
             WHERE sl.classoid = 'pg_catalog.pg_largeobject'::regclass AND sl.objoid = m.oid AND sl.objsubid = 0) AS labels,
           pg_get_userbyid(m.lomowner) AS owner, m.lomacl::text AS acl
      FROM pg_catalog.pg_largeobject_metadata m
     ORDER BY m.oid`);
  return rows.map((row): SchemaObject => {
    const what = `LARGE OBJECT ${row.oid}`;
    return makeObject({
      key: `large object ${row.oid}`,
      kind: 'large object',
      schema: null,
      label: `large object ${row.oid}`,
      section: 'pre-data',
      create: statements(
        `SELECT pg_catalog.lo_create(${quoteLiteral(row.oid)})`,
        commentStatement(what, row.comment),
        securityLabelStatements(what, row.labels),
      ),
      addresses: [address(row.class_oid, row.oid)],
      owner: row.owner,
      acl: row.acl,
      drop: `SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = ${quoteLiteral(row.oid)}`,
    });
  });
};
