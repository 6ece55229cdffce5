/**
 * Standard Webhooks signing (the open specification), with its reference package: a secret is
 * `whsec_` + base64 of 32 random bytes; a signature is `v1,<base64 HMAC-SHA256 over
 * "<id>.<timestamp>.<body>">`, several separated by spaces (during a rotation both secrets sign).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** The three Standard Webhooks headers of one attempt of delivery `id` at `at`. */
export function signedHeaders(id: string, at: Date, body: string, secrets: readonly string[]): Record<string, string> {
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}
