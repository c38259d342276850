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
