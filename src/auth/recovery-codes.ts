import { randomInt } from 'node:crypto';

import { hashSecret } from './secret-token.js';

const codeCount = 10;
// No 0/O, 1/I/L: a code is read off paper and typed by hand.
const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * Ten codes of 16 characters from a 31-letter alphabet (about 79 random bits each), shown as
 * xxxx-xxxx-xxxx-xxxx. With that much entropy a slow hash buys nothing: SHA-256, like session
 * ids and API tokens, keeps a lookup one index probe and a leaked table still unguessable.
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: codeCount }, () => {
    const chars = Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]).join('');
    return chars.match(/.{4}/g)?.join('-') ?? chars;
  });
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function hashRecoveryCode(code: string): string {
  return hashSecret(code.toLowerCase().replace(/[\s-]+/g, ''));
}
