import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const srcRoot = path.resolve(import.meta.dirname, '../../src');
const helper = path.join('engine', 'sql', 'quote-ident.ts');

/** Hand-rolled quoting: doubling `"` or `'` by regex, or pg's own escape helpers. */
const patterns: [string, RegExp][] = [
  ['identifier quoting', /replace(All)?\(\s*(\/"\/g|'"'|"\\"")\s*,/],
  ['literal quoting', /replace(All)?\(\s*(\/'\/g|"'")\s*,\s*(`''`|"''")\s*\)/],
  ["pg's escapeIdentifier/escapeLiteral", /\bescape(Identifier|Literal)\(/],
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name)).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('SQL quoting', () => {
  it('goes through src/engine/sql/quote-ident.ts only', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(srcRoot)) {
      const relative = path.relative(srcRoot, file);
      if (relative === helper) continue;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        for (const [what, pattern] of patterns) if (pattern.test(line)) offenders.push(`${relative}:${index + 1}: ${what}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('would notice a private re-implementation', () => {
    expect(patterns[0]![1].test('const q = (n: string) => `"${n.replace(/"/g, \'""\')}"`;')).toBe(true);
    expect(patterns[1]![1].test("`'${id.replace(/'/g, \"''\")}'`")).toBe(true);
    expect(patterns[2]![1].test('client.escapeIdentifier(name)')).toBe(true);
  });
});
