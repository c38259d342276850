import { z } from 'zod';

import { type ConnectionFields, connectionLimits, parseConnectionUrl, sslModes } from '../engine/connection-config.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { displaySafe } from '../store/safe-text.js';

// Request and response shapes of /api/v1/connections. Bodies are strict: an unknown field is
// a 400 naming it, never silently dropped.

const targetShape = {
  url: z.string().max(4000).optional().describe('postgres://USER[:PASSWORD]@host[:port]/database[?sslmode=…]; instead of the fields below'),
  host: z.string().trim().min(1).max(connectionLimits.host).optional(),
  port: z.number().int().min(1).max(65535).optional().describe('(default: 5432)'),
  database: z.string().min(1).max(connectionLimits.database).optional(),
  user: z.string().min(1).max(connectionLimits.user).optional(),
  password: z
    .string()
    .max(connectionLimits.password)
    .nullable()
    .optional()
    .describe('Write-only. On update: omit to keep the stored password, null to remove it'),
  sslmode: z
    .enum(sslModes)
    .optional()
    .describe('(default: prefer) allow/prefer connect without SSL (node-postgres cannot fall back); require encrypts; verify-ca/verify-full also verify the certificate'),
  application_name: z.string().max(connectionLimits.application_name).nullable().optional(),
  connect_timeout: z.number().int().min(1).max(600).nullable().optional().describe('seconds'),
  options: z.string().max(connectionLimits.options).nullable().optional().describe('server startup options, e.g. -c statement_timeout=0'),
};

const metadataShape = {
  name: displaySafe(z.string().trim().min(1).max(100)),
  description: z.string().max(2000).nullable().optional(),
  protected: z.boolean().optional().describe('production: never the destination of a destructive operation (default: false)'),
  tags: z.array(displaySafe(z.string().trim().min(1).max(50))).max(20).optional(),
};

export const connectionBodySchema = z.object({ ...metadataShape, ...targetShape }).strict();
export type ConnectionBody = z.infer<typeof connectionBodySchema>;

const testOptionsShape = {
  schemas: z.array(z.string().min(1).max(63)).max(200).optional().describe('schemas to check privileges on (default: all)'),
  as: z.enum(['source', 'destination']).optional().describe('require the privileges of this role for ok=true'),
  timeout_ms: z.number().int().min(100).max(60000).optional().describe('(default: 10000)'),
};

/** An unsaved connection to test; the form's name/description/tags may come along and are ignored. */
export const testUnsavedBodySchema = z
  .object({ ...targetShape, ...testOptionsShape, name: z.string().max(100).optional(), description: metadataShape.description, protected: metadataShape.protected, tags: metadataShape.tags })
  .strict();
export const testSavedBodySchema = z.object(testOptionsShape).strict();

type TargetBody = { [K in keyof typeof targetShape]?: z.infer<(typeof targetShape)[K]> };

const fieldNames = ['host', 'port', 'database', 'user', 'sslmode', 'application_name', 'connect_timeout', 'options'] as const;

function fieldError(field: string, message: string): PgferryError {
  return new PgferryError('PGF_VALIDATION_FAILED', `invalid request: body.${field}: ${message}`, {
    details: { fields: [{ field: `body.${field}`, message }] },
  });
}

/**
 * The target of a body: from `url`, or from the fields. `password` may accompany a URL
 * (so the password need not be inside it); `password` undefined means "keep / none".
 */
export function targetFieldsFromBody(body: TargetBody): Omit<ConnectionFields, 'password'> & { password?: string | null } {
  if (body.url !== undefined) {
    const clash = fieldNames.filter((field) => body[field] !== undefined);
    if (clash.length > 0) throw fieldError(clash[0] as string, `give either url or the separate fields (${clash.join(', ')}), not both`);
    let parsed: ConnectionFields;
    try {
      parsed = parseConnectionUrl(body.url, 'body.url');
    } catch (error) {
      if (error instanceof PgferryError) throw new PgferryError(error.code, `invalid request: ${error.message}`, { ...(error.details ? { details: error.details } : {}) });
      throw error;
    }
    const { password, ...rest } = parsed;
    const chosen = body.password !== undefined ? body.password : password;
    return { ...rest, ...(chosen === undefined ? {} : { password: chosen }) };
  }
  for (const field of ['host', 'database', 'user'] as const) {
    if (body[field] === undefined) throw fieldError(field, 'is required (or give url)');
  }
  return {
    host: body.host as string,
    port: body.port ?? 5432,
    database: body.database as string,
    user: body.user as string,
    sslmode: body.sslmode ?? 'prefer',
    application_name: body.application_name ?? undefined,
    connect_timeout: body.connect_timeout ?? undefined,
    options: body.options ?? undefined,
    ...(body.password === undefined ? {} : { password: body.password }),
  };
}

export const connectionParamsSchema = z.object({ id: z.string().min(1).max(200).describe('connection id or name') });

export const connectionListQuerySchema = z
  .object({
    search: z.string().max(200).optional().describe('substring of name, host, database or description'),
    page: z.coerce.number().int().min(1).max(1_000_000).optional().describe('(default: 1)'),
    page_size: z.coerce.number().int().min(1).max(200).optional().describe('(default: 50)'),
    sort: z.enum(['name', '-name', 'created_at', '-created_at', 'updated_at', '-updated_at']).optional().describe('(default: name)'),
  })
  .strict();

export const connectionViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    host: z.string(),
    port: z.number(),
    database: z.string(),
    user: z.string(),
    sslmode: z.enum(sslModes),
    application_name: z.string().nullable(),
    connect_timeout: z.number().nullable(),
    options: z.string().nullable(),
    protected: z.boolean(),
    tags: z.array(z.string()),
    has_password: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('Connection');

export const connectionListSchema = z.object({
  items: z.array(connectionViewSchema),
  total: z.number(),
  page: z.number(),
  page_size: z.number(),
});

const roleCheck = <T extends z.ZodTypeAny>(schema: T) => z.object({ ok: z.boolean(), schemas: z.array(schema), missing: z.array(z.string()) });

export const connectionTestResultSchema = z
  .object({
    ok: z.boolean(),
    target: z.string(),
    connect_ms: z.number().nullable(),
    latency_ms: z.number().nullable(),
    server_version: z.string().nullable(),
    server_version_num: z.number().nullable(),
    database_size_bytes: z.number().nullable(),
    current_user: z.string().nullable(),
    is_superuser: z.boolean().nullable(),
    in_recovery: z.boolean().nullable(),
    source: roleCheck(
      z.object({
        schema: z.string(),
        exists: z.boolean(),
        usage: z.boolean(),
        tables: z.number(),
        unreadable_tables: z.array(z.string()),
        unreadable_sequences: z.array(z.string()),
        row_security_tables: z.array(z.string()),
      }),
    ).nullable(),
    destination: roleCheck(
      z.object({
        schema: z.string(),
        exists: z.boolean(),
        usage: z.boolean(),
        create: z.boolean(),
        tables: z.number(),
        unwritable_tables: z.array(z.string()),
      }),
    )
      .extend({ can_create_schema: z.boolean(), can_create_temp: z.boolean() })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).nullable(),
  })
  .describe('ConnectionTestResult');

export const schemaListSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      owner: z.string(),
      table_count: z.number(),
      can_use: z.boolean(),
      can_create: z.boolean(),
      comment: z.string().nullable(),
    }),
  ),
});

export const tableInfoSchema = z
  .object({
    schema: z.string(),
    name: z.string(),
    kind: z.enum(['table', 'partitioned']),
    estimated_rows: z.number().nullable(),
    total_bytes: z.number(),
    has_primary_key: z.boolean(),
    primary_key: z.array(z.string()),
    has_unique_key: z.boolean(),
    partition_key: z.string().nullable(),
    partition_count: z.number(),
    partition_of: z.object({ schema: z.string(), name: z.string() }).nullable(),
    can_select: z.boolean(),
    comment: z.string().nullable(),
  })
  .describe('TableInfo');

export const tableListQuerySchema = z.object({ schema: z.string().min(1).max(63).default('public') }).strict();
export const tableListSchema = z.object({ items: z.array(tableInfoSchema) });
export const tableParamsSchema = connectionParamsSchema.extend({ schema: z.string().min(1).max(63), table: z.string().min(1).max(63) });

const foreignKeySchema = z.object({
  name: z.string(),
  schema: z.string(),
  table: z.string(),
  columns: z.array(z.string()),
  referenced_schema: z.string(),
  referenced_table: z.string(),
  referenced_columns: z.array(z.string()),
  on_update: z.string(),
  on_delete: z.string(),
  deferrable: z.boolean(),
  initially_deferred: z.boolean(),
  validated: z.boolean(),
  definition: z.string(),
});

export const tableDetailSchema = z
  .object({
    table: tableInfoSchema,
    columns: z.array(
      z.object({
        position: z.number(),
        name: z.string(),
        data_type: z.string(),
        nullable: z.boolean(),
        default: z.string().nullable(),
        identity: z.enum(['always', 'by default']).nullable(),
        generated: z.string().nullable(),
        collation: z.string().nullable(),
        comment: z.string().nullable(),
      }),
    ),
    keys: z.array(z.object({ name: z.string(), kind: z.enum(['primary', 'unique']), columns: z.array(z.string()) })),
    foreign_keys: z.array(foreignKeySchema),
    referenced_by: z.array(foreignKeySchema),
  })
  .describe('TableDetail');
