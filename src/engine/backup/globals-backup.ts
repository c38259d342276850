import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { quoteIdent, quoteLiteral } from '../sql/quote-ident.js';

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  rolvaliduntil: string | null;
  rolpassword?: string | null;
}

/**
 * Roles, memberships and per-role settings as SQL that can be re-run (existing roles are
 * altered, not re-created). Passwords only when asked (they need superuser to read).
 */
export async function dumpGlobals(client: pg.Client, withPasswords: boolean): Promise<{ sql: string; roles: number }> {
  if (withPasswords) {
    const su = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!su.rows[0]?.rolsuper) {
      throw new PgferryError('PGF_VALIDATION_FAILED', 'saving role passwords needs a superuser connection (pg_authid is not readable otherwise); connect as a superuser or leave out --globals-with-passwords');
    }
  }
  const roles = await client.query<RoleRow>(
    `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit,
            rolvaliduntil::text AS rolvaliduntil${withPasswords ? ', rolpassword' : ''}
       FROM ${withPasswords ? 'pg_authid' : 'pg_roles'} WHERE rolname !~ '^pg_' ORDER BY rolname`,
  );
  const lines = ['-- pgferry globals: roles, memberships and role settings', `-- passwords ${withPasswords ? 'included' : 'not included (set them after restoring)'}`, ''];
  for (const role of roles.rows) {
    const name = quoteIdent(role.rolname);
    lines.push(`DO $pgferry$ BEGIN CREATE ROLE ${name}; EXCEPTION WHEN duplicate_object THEN NULL; END $pgferry$;`);
    const flag = (on: boolean, word: string) => (on ? word : `NO${word}`);
    const options = [
      flag(role.rolsuper, 'SUPERUSER'),
      flag(role.rolinherit, 'INHERIT'),
      flag(role.rolcreaterole, 'CREATEROLE'),
      flag(role.rolcreatedb, 'CREATEDB'),
      flag(role.rolcanlogin, 'LOGIN'),
      flag(role.rolreplication, 'REPLICATION'),
      flag(role.rolbypassrls, 'BYPASSRLS'),
      `CONNECTION LIMIT ${Number(role.rolconnlimit)}`,
    ];
    if (role.rolvaliduntil) options.push(`VALID UNTIL ${quoteLiteral(role.rolvaliduntil)}`);
    if (withPasswords && role.rolpassword) options.push(`PASSWORD ${quoteLiteral(role.rolpassword)}`);
    lines.push(`ALTER ROLE ${name} WITH ${options.join(' ')};`);
  }
  const members = await client.query<{ role: string; member: string; admin_option: boolean }>(
    `SELECT r.rolname AS role, m.rolname AS member, a.admin_option
       FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE r.rolname !~ '^pg_' AND m.rolname !~ '^pg_' ORDER BY 1, 2`,
  );
  for (const row of members.rows) {
    lines.push(`GRANT ${quoteIdent(row.role)} TO ${quoteIdent(row.member)}${row.admin_option ? ' WITH ADMIN OPTION' : ''};`);
  }
  const settings = await client.query<{ role: string; database: string | null; setting: string }>(
    `SELECT r.rolname AS role, d.datname AS database, unnest(s.setconfig) AS setting
       FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase
      WHERE r.rolname !~ '^pg_' ORDER BY 1, 2`,
  );
  for (const row of settings.rows) {
    const eq = row.setting.indexOf('=');
    const name = row.setting.slice(0, eq);
    const value = row.setting.slice(eq + 1);
    lines.push(`ALTER ROLE ${quoteIdent(row.role)}${row.database ? ` IN DATABASE ${quoteIdent(row.database)}` : ''} SET ${quoteIdent(name)} = ${quoteLiteral(value)};`);
  }
  return { sql: `${lines.join('\n')}\n`, roles: roles.rows.length };
}
