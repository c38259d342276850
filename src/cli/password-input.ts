import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

import { generatePassword } from '../auth/password-hash.js';
import { PgferryError } from '../errors/pgferry-error.js';

export interface PasswordOptions {
  passwordStdin?: boolean;
  generatePassword?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the shell's (`echo pw |`); anything else is part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * The password for `users create` / `reset-password`: from stdin, generated (then printed once
 * by the caller), or typed twice on a terminal. Never from a flag: flags show up in `ps`.
 */
export async function obtainPassword(options: PasswordOptions): Promise<{ password: string; generated: boolean }> {
  if (options.passwordStdin && options.generatePassword) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'choose one of --password-stdin and --generate-password');
  }
  if (options.generatePassword) return { password: generatePassword(), generated: true };
  if (options.passwordStdin) return { password: await readStdin(), generated: false };
  if (!process.stdin.isTTY) {
    throw new PgferryError(
      'PGF_VALIDATION_FAILED',
      'no terminal to type the password on: pipe it with --password-stdin, or use --generate-password',
    );
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new PgferryError('PGF_VALIDATION_FAILED', 'the two passwords differ; run the command again');
  return { password: first, generated: false };
}
