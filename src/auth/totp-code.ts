import { generateSecret, generateURI, verifySync } from 'otplib';

// RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps.
const period = 30;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: 'pgferry', label: username, secret });
}

/**
 * The time step a code matches, accepting one step either side for clock drift, or null. A
 * step at or before `afterStep` is refused: each code works once (RFC 6238 §5.2).
 */
export function matchTotpStep(secret: string, code: string, afterStep: number | null): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = verifySync({ secret, token, epochTolerance: period, ...(afterStep === null ? {} : { afterTimeStep: afterStep }) });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
