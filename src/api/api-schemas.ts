import { z } from 'zod';

/** The error body every non-2xx answer carries. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code, e.g. PGF_VALIDATION_FAILED'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    requestId: z.string(),
  })
  .describe('Error');

const maxBigint = 9223372036854775807n;

/** A `bigint` row id given as text: digits only and within PostgreSQL's bigint, so SQL never sees an out-of-range value. */
export const bigintIdText = (message: string) =>
  z
    .string()
    .regex(/^\d{1,19}$/, message)
    .refine((value) => /^\d{1,19}$/.test(value) && BigInt(value) <= maxBigint, message);
