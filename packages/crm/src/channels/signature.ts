import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header an inbound webhook is signed in, as GitHub's: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-parley-signature-256';

/** A new inbound secret (shown once when the connector is made). */
export const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** `sha256=<hex>` of the body under the secret. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the body's signature under the secret (constant time). */
export function verifySignature(secret: string, body: Buffer, header: unknown): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
