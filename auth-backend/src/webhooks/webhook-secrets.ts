/**
 * Webhook signing secrets at rest: sealed with AES-256-GCM under a key derived from
 * KEY_ENCRYPTION_KEY for this purpose only (crypto/key-encryption.ts), bound to the webhook's id.
 */
import { Envelope, type KeyEncryptionKeys } from '../crypto/key-encryption';

export const webhookSecretEnvelope = (keys: string | KeyEncryptionKeys) => new Envelope(keys, 'webhook-secret-encryption/v1');

export const webhookSecretContext = (webhookId: string): readonly string[] => ['webhook', webhookId];
