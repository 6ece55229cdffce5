/**
 * Re-seals what the database holds sealed (TOTP secrets, signing keys' private halves, passkeys'
 * credentials, webhook signing secrets) under the
 * current KEY_ENCRYPTION_KEY, opening each with it or with KEY_ENCRYPTION_KEY_PREVIOUS
 * (docs/operations.md, "Changing KEY_ENCRYPTION_KEY"). Each row is replaced by one conditional
 * UPDATE, so running replicas may go on serving, a setup or rotation meanwhile wins, and a second
 * run changes nothing. A value neither key opens is left as it is and reported.
 */
import { passkeyCredentialContext, totpSecretContext, type Envelope, type KeyEncryption, type Resealed } from '../crypto/key-encryption';
import type { MfaFactorsTable } from '../tables/mfa-factors';
import type { PasskeysTable } from '../tables/passkeys';
import type { KeyStore } from '../keys/key-store';
import type { WebhooksTable } from '../tables/webhooks';
import { webhookSecretContext } from '../webhooks/webhook-secrets';

export interface ResealCount {
  resealed: number;
  /** Sealed under the current key already. */
  current: number;
  /** Opened by neither key: the users (TOTP), kids (signing keys) or passkey ids concerned. */
  unreadable: string[];
}

export interface ResealReport {
  totpSecrets: ResealCount;
  signingKeys: ResealCount;
  passkeys: ResealCount;
  webhookSecrets: ResealCount;
}

const empty = (): ResealCount => ({ resealed: 0, current: 0, unreadable: [] });

/** Counts one outcome; true when `replace` should store the new value. */
function tally(count: ResealCount, outcome: Resealed, who: string): outcome is Extract<Resealed, { state: 'resealed' }> {
  if (outcome.state === 'current') count.current++;
  if (outcome.state === 'unreadable') count.unreadable.push(who);
  return outcome.state === 'resealed';
}

export async function resealSecrets(deps: {
  mfaFactors: MfaFactorsTable;
  keyStore: KeyStore;
  totpSecrets: Envelope;
  keyEncryption: KeyEncryption;
  passkeys: PasskeysTable;
  passkeyCredentials: Envelope;
  webhooks: WebhooksTable;
  webhookSecrets: Envelope;
}): Promise<ResealReport> {
  const report: ResealReport = { totpSecrets: empty(), signingKeys: empty(), passkeys: empty(), webhookSecrets: empty() };
  for (const factor of await deps.mfaFactors.listSealed()) {
    const outcome = deps.totpSecrets.reseal(factor.sealedSecret, totpSecretContext(factor));
    if (!tally(report.totpSecrets, outcome, `user ${factor.userId}`)) continue;
    // A factor replaced or removed meanwhile was sealed under the current key, or is gone.
    if (await deps.mfaFactors.replaceSealedSecret(factor.id, factor.sealedSecret, outcome.sealed)) report.totpSecrets.resealed++;
    else report.totpSecrets.current++;
  }
  // Under the signing-key lock: a rotation or revocation waits for this, and this for it.
  await deps.keyStore.change(async (client, keys) => {
    for (const key of keys) {
      const outcome = deps.keyEncryption.reseal(key.sealedPrivateKey, key);
      if (!tally(report.signingKeys, outcome, `kid ${key.kid}`)) continue;
      await deps.keyStore.replaceSealedPrivateKey(client, key.kid, key.sealedPrivateKey, outcome.sealed);
      report.signingKeys.resealed++;
    }
  });
  for (const passkey of await deps.passkeys.listSealed()) {
    const outcome = deps.passkeyCredentials.reseal(passkey.sealedCredential, passkeyCredentialContext(passkey));
    if (!tally(report.passkeys, outcome, `passkey ${passkey.id}`)) continue;
    // Removed meanwhile: nothing to reseal (a passkey's credential never changes once stored).
    if (await deps.passkeys.replaceSealedCredential(passkey.id, passkey.sealedCredential, outcome.sealed)) report.passkeys.resealed++;
  }
  for (const webhook of await deps.webhooks.listSealed()) {
    const context = webhookSecretContext(webhook.id);
    const current = deps.webhookSecrets.reseal(webhook.sealedSecret, context);
    const previous = webhook.sealedPreviousSecret === null ? undefined : deps.webhookSecrets.reseal(webhook.sealedPreviousSecret, context);
    // One outcome per webhook: unreadable if either secret is, resealed if either was re-sealed.
    const outcome: Resealed =
      current.state === 'unreadable' || previous?.state === 'unreadable'
        ? { state: 'unreadable' }
        : current.state === 'resealed' || previous?.state === 'resealed'
          ? { state: 'resealed', sealed: '' }
          : { state: 'current' };
    if (!tally(report.webhookSecrets, outcome, `webhook ${webhook.id}`)) continue;
    const sealed = (was: string | null, resealed: Resealed | undefined) => (resealed?.state === 'resealed' ? resealed.sealed : was);
    const replaced = await deps.webhooks.replaceSealedSecrets(webhook.id, webhook, {
      sealedSecret: sealed(webhook.sealedSecret, current)!,
      sealedPreviousSecret: sealed(webhook.sealedPreviousSecret, previous),
    });
    // Rotated meanwhile: the new secret was sealed under the current key.
    if (replaced) report.webhookSecrets.resealed++;
    else report.webhookSecrets.current++;
  }
  return report;
}
