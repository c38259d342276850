import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { cliAccepts } from './cli-accepts.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The operations docs this helper owns; each must only show commands pgferry has. */
function docFiles(): string[] {
  const files = ['docs/deployment.md', 'docs/zh-CN/deployment.md', 'docs/architecture.md', 'docs/zh-CN/architecture.md', 'README.zh-CN.md'];
  for (const dir of ['docs/runbooks', 'docs/zh-CN/runbooks']) {
    if (existsSync(path.join(root, dir))) files.push(...readdirSync(path.join(root, dir)).map((file) => `${dir}/${file}`));
  }
  return files.filter((file) => file.endsWith('.md') && existsSync(path.join(root, file)));
}

/** Lines inside fenced code blocks, and inline `code` spans, of a Markdown file. */
function codeSnippets(text: string): string[] {
  const snippets: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) snippets.push(line);
    // Blockquotes hold the "state of this version" notes, which name what is not there yet.
    else if (!line.startsWith('>')) snippets.push(...[...line.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
  }
  return snippets;
}

const invocation =
  /(?:^|&&|;|\|\s|\$\s|`|\bnpx\s+|\bexec\s+(?:-\S+\s+)*deploy\/pgferry-\w+\s+--\s+|\bcompose\s+(?:exec|run)\s+(?:--rm\s+)?(?:-v\s+\S+\s+)?(?:api|worker|migrate)\s+)(?:npx\s+)?(?:pgferry|node\s+\S*bin\/pgferry\.js)\s+([a-z][\w-]*(?:\s+[^\s|&;`]+)*)/;

/** `pgferry X Y --flag value` → ['X', 'Y', '--flag', 'value'] (stops at a redirect or pipe). */
function commandsIn(snippet: string): string[][] {
  const found: string[][] = [];
  // Compose one-offs whose command is the service's own (e.g. `docker compose run --rm migrate`).
  const composeRun = /\bcompose\s+run\s+--rm\s+(?:-v\s+\S+\s+)?(api|worker|migrate)\s+([a-z][^|&;`>]*)/.exec(snippet);
  if (composeRun) found.push(composeRun[2]!.trim().split(/\s+/));
  const match = invocation.exec(snippet);
  if (match && !composeRun) found.push(match[1]!.split(/\s+/).filter((word) => !/^[<>]/.test(word)));
  return found;
}

describe('operations docs only show commands pgferry has', () => {
  const files = docFiles();

  it('finds the docs', () => {
    expect(files).toEqual(expect.arrayContaining(['docs/deployment.md', 'docs/runbooks/upgrading-pgferry.md']));
    const found = codeSnippets(readFileSync(path.join(root, 'docs/deployment.md'), 'utf8')).flatMap(commandsIn);
    expect(found.length).toBeGreaterThan(10);
    expect(found).toContainEqual(['serve', '--no-worker']);
    expect(found).toContainEqual(['users', 'create', 'admin', '--admin', '--generate-password']);
    // The checker itself rejects what does not exist.
    expect(commandsIn('$ npx pgferry frobnicate --now').every(cliAccepts)).toBe(false);
    expect(commandsIn('$ pgferry serve --no-such-flag').every(cliAccepts)).toBe(false);
  });

  it.each(files)('%s', (file) => {
    const unknown: string[] = [];
    let checked = 0;
    for (const snippet of codeSnippets(readFileSync(path.join(root, file), 'utf8'))) {
      for (const args of commandsIn(snippet)) {
        checked += 1;
        // Drop values: a word after a flag that takes one is not a sub-command; cliAccepts only looks at words before the first flag.
        if (!cliAccepts(args)) unknown.push(`pgferry ${args.join(' ')}`);
      }
    }
    expect(unknown, `${file}: ${checked} commands checked`).toEqual([]);
  });
});
