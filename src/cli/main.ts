import { Command, CommanderError } from 'commander';

import { isPgferryError } from '../errors/pgferry-error.js';
import { dropOutputOnceClosed } from './closed-output.js';
import { commandModules } from './command-modules.js';

/** The program with the commands `argv` needs: the one named, or all of them for help. */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('pgferry')
    .description('Sync, back up and restore PostgreSQL databases')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const name = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const load = name === undefined ? undefined : commandModules[name];
  const versionOnly = name === undefined && argv.slice(2).some((arg) => arg === '-V' || arg === '--version');
  const loaders = load ? [load] : versionOnly ? [] : Object.values(commandModules);
  for (const registers of await Promise.all(loaders.map((loader) => loader()))) {
    for (const register of registers) register(program);
  }
  return program;
}

/** Runs the CLI; errors become one line on stderr and a documented exit code. */
export async function main(argv: string[]): Promise<void> {
  dropOutputOnceClosed(process.stdout);
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isPgferryError(error)) {
      process.stderr.write(`pgferry: ${error.message} [${error.code}]\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pgferry: unexpected error: ${message}\n`);
    if (process.env.PGFERRY_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
