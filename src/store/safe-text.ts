import type { z } from 'zod';

// Characters that reorder how text around them is shown (RLO, LRI, …): in a name they make
// "prod" look like "dorp", or a harmless name look like another. Names refuse them.
const bidiControls = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

export const bidiControlsMessage = 'must not contain bidirectional control characters (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)';

/** Whether `text` holds a character that changes the display order of the text around it. */
export function hasBidiControls(text: string): boolean {
  return bidiControls.test(text);
}

/** A name schema that also refuses bidirectional control characters. */
export function displaySafe<T extends z.ZodType<string | null | undefined>>(schema: T): T {
  return schema.refine((value) => typeof value !== 'string' || !hasBidiControls(value), { error: bidiControlsMessage, params: { code: 'bidi_controls' } }) as unknown as T;
}
