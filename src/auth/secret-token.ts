import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Session ids, CSRF tokens and API tokens carry 256 random bits, so a plain SHA-256 is
// enough to store them: there is nothing to brute-force, and lookups stay one index probe.

export const apiTokenPrefix = 'pgf_';

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatchesHash(secret: string, hash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface NewApiToken {
  /** Shown once to the user; never stored. */
  token: string;
  /** First characters, stored so lists can show which token is which. */
  prefix: string;
  hash: string;
}

export function generateApiToken(): NewApiToken {
  const token = `${apiTokenPrefix}${randomSecret()}`;
  return { token, prefix: token.slice(0, apiTokenPrefix.length + 6), hash: hashSecret(token) };
}
