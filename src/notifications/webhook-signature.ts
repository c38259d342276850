import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a signed generic webhook request. */
export const signatureHeaders = {
  signature: 'x-pgferry-signature',
  timestamp: 'x-pgferry-timestamp',
  event: 'x-pgferry-event',
  delivery: 'x-pgferry-delivery',
} as const;

/**
 * `sha256=` + hex HMAC-SHA256 over `<timestamp>.<raw body>`: binding the timestamp lets the
 * receiver refuse replays of an old request.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute, compare in constant time, and bound the age. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const timestamp = Number(timestampHeader);
  if (!signatureHeader || !Number.isInteger(timestamp)) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signatureHeader);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
