// Signing the Standard Webhooks way (https://www.standardwebhooks.com, spec 1.0.0):
//   webhook-id         unique per message, the same on every retry (an idempotency key)
//   webhook-timestamp  integer Unix seconds of this attempt (retries get a fresh one)
//   webhook-signature  `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`
// The secret is shown to users as `whsec_` + base64; the HMAC key is the decoded bytes.
import { createHmac, randomUUID } from 'node:crypto';
import { ConfigError } from '@hyperexport/core';

export const SECRET_PREFIX = 'whsec_';
/** The spec asks for at least 24 random bytes (and at most 64). */
export const RECOMMENDED_SECRET_BYTES = 24;

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function decodeSigningSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  // Buffer.from skips characters that are not base64; re-encoding shows whether any were.
  const canonical = (text: string) => text.replace(/=+$/, '');
  if (key.length === 0 || canonical(key.toString('base64')) !== canonical(encoded)) {
    throw new ConfigError('the webhook signing secret is not base64 (expected whsec_ followed by base64)', {
      hint: 'make one with: echo "whsec_$(openssl rand -base64 32)"',
    });
  }
  return key;
}

/** A message id: `msg_` and 32 hex digits (no `.`, which the signed content uses as separator). */
export function newMessageId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

/** `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>` */
export function sign(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers for one attempt. */
export function signatureHeaders(key: Buffer, id: string, body: string, now: number = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(key, id, timestamp, body),
  };
}
