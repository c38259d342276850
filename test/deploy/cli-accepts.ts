import { buildProgram } from '../../src/cli/main.js';

// Every command, loaded once (no argv: the program with all commands).
const program = await buildProgram();

/**
 * True when `args` name a real pgferry command (down to a leaf sub-command) and every
 * `--flag` is one of its options, e.g. `serve --no-worker` or `db upgrade`. Keeps manifests,
 * scripts and docs true to the CLI as it changes.
 */
export function cliAccepts(args: string[]): boolean {
  let command = program;
  const rest = [...args];
  while (rest.length > 0 && !rest[0]!.startsWith('-')) {
    const next = command.commands.find((candidate) => candidate.name() === rest[0] || candidate.aliases().includes(rest[0]!));
    if (!next) break;
    command = next;
    rest.shift();
  }
  if (command.name() === 'pgferry') return false;
  // A group such as `db` needs a sub-command.
  if (command.commands.length > 0) return false;
  const flags = rest.filter((arg) => arg.startsWith('--')).map((flag) => flag.split('=')[0]!);
  return flags.every((flag) => flag === '--help' || command.options.some((option) => option.long === flag));
}
