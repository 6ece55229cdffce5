/**
 * A user's passkeys: registration (options, then the new credential), listing, renaming and
 * removal. Adding or removing one queues a notice mail and records its event in the transaction of
 * the change; removing the account's last way in is refused (account/sign-in-methods.ts). Adding a
 * passkey never turns the second factor on: a passkey is a way in of its own. Knows nothing of
 * HTTP; no credential id or public key reaches a log line or an event (passkeys are named by id).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { Authenticated } from '../domain/user';
import type { RequestMeta } from '../domain/audit';
import type { Transactions } from '../db/transaction';
import type { AuditLog } from '../audit/audit-log';
import type { MailTemplates } from '../mail/templates';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { PasskeyRow, PasskeysTable } from '../tables/passkeys';
import type { PasskeyChallengesTable } from '../tables/passkey-challenges';
import { mayRemoveOne, type SignInMethods } from '../account/sign-in-methods';
import { credentialIdHash, type CredentialSeal } from './credential-seal';
import { PasskeyRefused, type RelyingParty } from './relying-party';
import type { CreationOptions, RegistrationResponse } from './webauthn-schemas';

export interface PasskeyServiceDeps {
  transaction: Transactions;
  passkeys: PasskeysTable;
  challenges: PasskeyChallengesTable;
  outbox: MailOutboxTable;
  audit: AuditLog;
  methods: SignInMethods;
  seal: CredentialSeal;
  relyingParty: RelyingParty;
  templates: MailTemplates;
  clock: Clock;
}

const notFound = () => new AppError('not_found', 'No such passkey.');
/** Every refused registration gives this body; the reason is on the log line. */
const invalidRegistration = () =>
  new AppError(
    'invalid_passkey',
    'The passkey could not be registered (expired or used options, another site, no user verification, or already registered): try again.',
  );

export class PasskeyService {
  constructor(private readonly deps: PasskeyServiceDeps) {}

  /** Options for navigator.credentials.create(): a discoverable credential, user verification required, none of the account's own again. */
  async registrationOptions(auth: Authenticated, log: Logger): Promise<CreationOptions> {
    const { passkeys, challenges, relyingParty } = this.deps;
    const existing = this.deps.seal.openEach(await passkeys.listOfUser(auth.user.id));
    const issued = await challenges.issue('registration', { userId: auth.user.id });
    log.info({ event: 'passkey.options', purpose: 'registration', userId: auth.user.id }, 'passkey registration options issued');
    return relyingParty.creationOptions(auth.user, existing, issued.challenge);
  }

  /** Stores the new passkey of a valid response to this user's registration options; 400 invalid_passkey otherwise. */
  async register(auth: Authenticated, input: { response: RegistrationResponse; name?: string }, log: Logger, meta?: RequestMeta): Promise<PasskeyRow> {
    const { transaction, passkeys, challenges, outbox, audit, seal, relyingParty, templates, clock } = this.deps;
    const userId = auth.user.id;
    const line = { event: 'passkey.register', userId };
    let credential;
    try {
      // The challenge is spent as the library reads it, whatever the rest of the response turns out to be.
      credential = await relyingParty.verifyRegistration(input.response, (signed) => challenges.spend(signed, 'registration', { userId }));
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      log.info({ ...line, outcome: 'failure', reason: error.reason }, 'passkey registration refused');
      throw invalidRegistration();
    }
    const id = randomUUID();
    const name = input.name ?? `Passkey added ${clock().toISOString().slice(0, 10)}`;
    const added = await transaction(async (tx) => {
      const passkey = await passkeys.in(tx).add({
        id,
        userId,
        credentialIdHash: credentialIdHash(credential.id),
        sealedCredential: seal.seal({ id, userId }, credential),
        counter: credential.counter,
        transports: credential.transports,
        deviceType: credential.deviceType,
        backedUp: credential.backedUp,
        name,
      });
      if (!passkey) return undefined;
      await outbox.in(tx).enqueue(auth.user.email, templates.passkeyAdded(name), clock());
      await audit
        .in(tx)
        .record({ type: 'passkey.added', userId, meta, data: { passkeyId: id, deviceType: credential.deviceType, backedUp: credential.backedUp } });
      return passkey;
    });
    if (!added) {
      log.info({ ...line, outcome: 'failure', reason: 'already-registered' }, 'passkey registration refused');
      throw invalidRegistration();
    }
    log.info({ ...line, outcome: 'success', passkeyId: id, deviceType: added.deviceType }, 'passkey added');
    return added;
  }

  list(auth: Authenticated): Promise<PasskeyRow[]> {
    return this.deps.passkeys.listOfUser(auth.user.id);
  }

  async rename(auth: Authenticated, id: string, name: string, log: Logger): Promise<PasskeyRow> {
    const renamed = await this.deps.passkeys.rename(auth.user.id, id, name);
    if (!renamed) throw notFound();
    log.info({ event: 'passkey.rename', userId: auth.user.id, passkeyId: id }, 'passkey renamed');
    return renamed;
  }

  /** Removes one of the caller's passkeys unless it is the account's last way in; a notice mail goes out. */
  async remove(auth: Authenticated, id: string, log: Logger, meta?: RequestMeta): Promise<void> {
    const { transaction, passkeys, methods, outbox, audit, templates, clock } = this.deps;
    const line = { event: 'passkey.remove', userId: auth.user.id, passkeyId: id };
    const outcome = await transaction(async (tx) => {
      const ways = await methods.lock(tx, auth.user.id);
      if (!ways || !(await passkeys.in(tx).listOfUser(auth.user.id)).some((passkey) => passkey.id === id)) return 'not-found' as const;
      if (!mayRemoveOne(ways)) return 'last-method' as const;
      const removed = (await passkeys.in(tx).remove(auth.user.id, id))!;
      await outbox.in(tx).enqueue(auth.user.email, templates.passkeyRemoved(removed.name), clock());
      await audit.in(tx).record({ type: 'passkey.removed', userId: auth.user.id, meta, data: { passkeyId: id } });
      return 'removed' as const;
    });
    if (outcome === 'not-found') {
      log.info({ ...line, outcome: 'failure', reason: 'not-found' }, 'passkey removal refused');
      throw notFound();
    }
    if (outcome === 'last-method') {
      log.info({ ...line, outcome: 'failure', reason: 'last-sign-in-method' }, 'passkey removal refused');
      throw new AppError(
        'last_sign_in_method',
        'This passkey is the only way to sign in to the account: set a password (password reset), link a provider or add another passkey first.',
      );
    }
    log.info({ ...line, outcome: 'success' }, 'passkey removed');
  }
}
