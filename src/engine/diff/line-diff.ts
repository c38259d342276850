/** One line of a line diff: kept (' '), only in the first text ('-'), only in the second ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

// Definitions are small; past this many cells the LCS table would cost more than it helps,
// so the two texts are shown as one replaced block.
const maxCells = 4_000_000;

/** The shortest edit script between two line lists (longest common subsequence). */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  // Common head and tail need no table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle: DiffLine[] = [];
  if (x.length * y.length > maxCells) {
    middle.push(...x.map((text) => ({ op: '-' as const, text })), ...y.map((text) => ({ op: '+' as const, text })));
  } else {
    // lcs[i][j]: length of the LCS of x[i..] and y[j..], one flat array.
    const width = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * width);
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i * width + j] = x[i] === y[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ op: ' ', text: x[i]! });
        i++;
        j++;
      } else if (j < y.length && (i === x.length || lcs[i * width + j + 1]! >= lcs[(i + 1) * width + j]!)) {
        middle.push({ op: '+', text: y[j]! });
        j++;
      } else {
        middle.push({ op: '-', text: x[i]! });
        i++;
      }
    }
    // Removals before additions inside a changed block read better (`-old` then `+new`).
    reorderBlocks(middle);
  }
  return [...a.slice(0, head).map((text) => ({ op: ' ' as const, text })), ...middle, ...a.slice(a.length - tail).map((text) => ({ op: ' ' as const, text }))];
}

function reorderBlocks(lines: DiffLine[]): void {
  let start = 0;
  while (start < lines.length) {
    if (lines[start]!.op === ' ') {
      start++;
      continue;
    }
    let end = start;
    while (end < lines.length && lines[end]!.op !== ' ') end++;
    const block = lines.slice(start, end);
    lines.splice(start, block.length, ...block.filter((l) => l.op === '-'), ...block.filter((l) => l.op === '+'));
    start = end;
  }
}

/**
 * A unified diff (`--- a`, `+++ b`, `@@ -l,n +l,n @@` hunks with `context` lines around each
 * change) of two texts; empty when they are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, context = 3): string[] {
  const lines = diffLines(before.split('\n'), after.split('\n'));
  if (lines.every((line) => line.op === ' ')) return [];
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  // Positions (1-based) in each text where every diff line starts.
  const positions: { a: number; b: number }[] = [];
  let a = 1;
  let b = 1;
  for (const line of lines) {
    positions.push({ a, b });
    if (line.op !== '+') a++;
    if (line.op !== '-') b++;
  }
  let index = 0;
  while (index < lines.length) {
    const change = lines.findIndex((line, at) => at >= index && line.op !== ' ');
    if (change === -1) break;
    const start = Math.max(index, change - context);
    // Extend the hunk while the next change is within 2 × context lines.
    let end = change;
    for (let at = change; at < lines.length; at++) {
      if (lines[at]!.op !== ' ') end = at;
      else if (at - end > 2 * context) break;
    }
    const stop = Math.min(lines.length, end + context + 1);
    const hunk = lines.slice(start, stop);
    const countA = hunk.filter((line) => line.op !== '+').length;
    const countB = hunk.filter((line) => line.op !== '-').length;
    const from = positions[start]!;
    out.push(`@@ -${countA === 0 ? from.a - 1 : from.a},${countA} +${countB === 0 ? from.b - 1 : from.b},${countB} @@`);
    for (const line of hunk) out.push(`${line.op}${line.text}`);
    index = stop;
  }
  return out;
}
