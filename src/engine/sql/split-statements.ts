/**
 * Splits SQL text into statements at top-level semicolons, the way PostgreSQL's lexer sees
 * them: not inside '…' (with '' and, in E'…', backslash escapes), "…" identifiers, $tag$…$tag$
 * bodies, -- comments or nested /* *\/ comments. Statements come back trimmed, without their
 * semicolon; empty ones (only whitespace and comments) are dropped.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  let meaningful = false;
  const push = (end: number) => {
    const statement = text.slice(start, end).trim();
    if (meaningful && statement.length > 0) statements.push(statement);
    meaningful = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth += 1;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth -= 1;
          i += 2;
        } else i += 1;
      }
      continue;
    }
    meaningful ||= !/\s/.test(c) && c !== ';';
    if (c === "'") {
      // E'…' (or e'…') allows backslash escapes; a standard string only doubles quotes.
      const escapes = i > 0 && /[eE]/.test(text[i - 1]!) && (i < 2 || !/[\w$]/.test(text[i - 2]!));
      i += 1;
      while (i < text.length) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") {
          i += 1;
          break;
        } else i += 1;
      }
      continue;
    }
    if (c === '"') {
      i += 1;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') {
          i += 1;
          break;
        } else i += 1;
      }
      continue;
    }
    if (c === '$' && (i === 0 || !/[\w$]/.test(text[i - 1]!))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? text.length : close + tag[0].length;
        continue;
      }
    }
    if (c === ';') {
      push(i);
      start = i + 1;
    }
    i += 1;
  }
  push(text.length);
  return statements;
}

/** The statement's words without comments, for matching what kind of statement it is. */
export function leadingWords(statement: string, count = 4): string[] {
  const words: string[] = [];
  const pattern = /--[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"]|"")*"|[A-Za-z_][\w$]*|\S/g;
  for (const match of statement.matchAll(pattern)) {
    const token = match[0];
    if (token.startsWith('--') || token.startsWith('/*')) continue;
    words.push(/^[A-Za-z_]/.test(token) ? token.toUpperCase() : token);
    if (words.length >= count) break;
  }
  return words;
}
