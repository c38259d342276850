import { randomBytes } from 'node:crypto';

import argon2 from 'argon2';

// argon2id with the library's defaults (64 MiB, 3 passes): slow enough to hurt guessing,
// fast enough (~0.1 s) for a login.
const options = { type: argon2.argon2id } as const;

/** Hash of a password that no one knows, verified when the username does not exist so
 * that a wrong username and a wrong password take the same time. */
let decoyHash: Promise<string> | undefined;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, options);
}

/** False for a wrong password and for a stored value that is not an argon2 hash (a locked account). */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  if (!storedHash.startsWith('$argon2')) return false;
  try {
    return await argon2.verify(storedHash, password);
  } catch {
    return false;
  }
}

export async function burnPasswordCheck(password: string): Promise<void> {
  decoyHash ??= argon2.hash(randomBytes(16).toString('hex'), options);
  await verifyPassword(await decoyHash, password);
}

/** 20 characters from an alphabet without look-alikes (~118 bits), for first admins and resets. */
export function generatePassword(length = 20): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i += 1) {
    const byte = bytes[i] ?? 0;
    // Reject bytes that would bias the modulo.
    if (byte < 256 - (256 % alphabet.length)) out += alphabet[byte % alphabet.length];
  }
  return out.length === length ? out : generatePassword(length);
}

export const minimumPasswordLength = 12;
