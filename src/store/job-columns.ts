import { z } from 'zod';

import { compressions } from '../engine/archive/compression.js';
import { parseRuleText, ruleSyntax } from '../engine/sync/rule-grammar.js';
import { checkFilter } from '../engine/sync/where-filter.js';
import { syncModes } from '../engine/types.js';

// The JSONB columns of saved jobs, as zod schemas: the API and CLI validate input with them
// and the store's row types (store-types.ts) are inferred from them, so code reading a job
// needs no casts.

const identifierList = z.array(z.string().min(1).max(200)).max(10_000);


export const selectionSchema = z.strictObject({
  schemas: identifierList.optional().describe('Schemas to copy (default: every non-system schema)'),
  tables: identifierList.optional().describe('Tables as schema.table (default: every table of the schemas)'),
  include: identifierList.optional().describe('Glob patterns of schema.table to include'),
  exclude: identifierList.optional().describe('Glob patterns of schema.table to exclude'),
});

export const tableOptionSchema = z.strictObject({
  mode: z.enum(syncModes).optional(),
  where: z
    .string()
    .max(10_000)
    .superRefine((text, context) => {
      // One boolean expression that cannot leave its parentheses; the source server checks the rest at save time.
      try {
        checkFilter(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    })
    .optional()
    .describe('SQL filter run in the read-only source snapshot'),
  key: z.array(z.string().min(1)).min(1).optional().describe('Unique key columns for keyed modes (default: primary key)'),
  cursor_column: z.string().min(1).optional().describe('Column for incremental mode'),
  columns: z
    .record(
      z.string().min(1),
      z
        .string()
        .min(1)
        .max(2000)
        .superRefine((text, context) => {
          const parsed = parseRuleText(text);
          if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
        })
        .describe(`A rule: ${ruleSyntax}`),
    )
    .optional()
    .describe('Column rules (anonymisation, applied in the source SELECT): column → rule'),
});

export const retentionSchema = z.strictObject({
  keep_last: z.number().int().min(1).max(10_000).optional(),
  daily: z.number().int().min(0).max(3650).optional(),
  weekly: z.number().int().min(0).max(520).optional(),
  monthly: z.number().int().min(0).max(1200).optional(),
});

export const verificationSchema = z.strictObject({
  drill: z.boolean().optional().describe('Restore each new backup into a scratch database and compare'),
  drill_every: z.number().int().min(1).max(1000).optional().describe('Drill every Nth backup (default: 1)'),
});

/** Backup archive formats a job can make. */
export const backupFormats = ['native', 'pg_dump', 'physical'] as const;
export type BackupFormat = (typeof backupFormats)[number];
export { compressions };

export type JobSelection = z.infer<typeof selectionSchema>;
export type JobTableOption = z.infer<typeof tableOptionSchema>;
/** Per-table options keyed by schema.table; "*" holds the defaults. */
export type JobTableOptions = Record<string, JobTableOption>;
export type JobRetention = z.infer<typeof retentionSchema>;
export type JobVerification = z.infer<typeof verificationSchema>;

// How stored columns are answered: the same fields, without the input refinements and with
// unknown keys kept, so a row saved under older rules still answers as stored.
export const selectionViewSchema = z.looseObject(selectionSchema.shape);
export const tableOptionViewSchema = z.looseObject({ ...tableOptionSchema.shape, where: z.string().optional(), columns: z.record(z.string(), z.string()).optional() });
export const retentionViewSchema = z.looseObject(retentionSchema.shape);
export const verificationViewSchema = z.looseObject(verificationSchema.shape);
