/** `text` with LIKE's wildcards escaped: %, _ and \ typed by a user match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** An ILIKE pattern matching `text` anywhere (a plain substring search). */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}
