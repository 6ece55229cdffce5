/**
 * The passkeys feature, wired in one place for the composition root: the relying party, the sealed
 * credentials, the management service, the sign-in door, the second factor, and their endpoints;
 * plus what other features are handed (the second-factor step's extra method, the unproved
 * account's removal).
 */
import type { Clock } from '../clock';
import type { WebAuthnConfig } from '../config/webauthn';
import { passkeyCredentialEnvelope, type KeyEncryptionKeys } from '../crypto/key-encryption';
import type { Transaction, Transactions } from '../db/transaction';
import type { AnyEndpoint } from '../http/endpoint';
import type { AuditLog } from '../audit/audit-log';
import type { MailTemplates } from '../mail/templates';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline';
import type { SecondFactorMethod } from '../sign-in/sign-in-attempt';
import type { LoginThrottle } from '../throttle/login-throttle';
import type { UsersTable } from '../tables/users';
import type { IdentitiesTable } from '../tables/identities';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { MfaChallengesTable } from '../tables/mfa-challenges';
import type { PasskeysTable } from '../tables/passkeys';
import type { PasskeyChallengesTable } from '../tables/passkey-challenges';
import { SignInMethods } from '../account/sign-in-methods';
import { CredentialSeal } from './credential-seal';
import { RelyingParty } from './relying-party';
import { PasskeyAssertions } from './passkey-assertions';
import { PasskeyKeys } from './passkey-keys';
import { PasskeyService } from './passkey-service';
import { PasskeySignIn } from './passkey-sign-in';
import { PasskeySecondFactor } from './passkey-second-factor';
import { passkeyEndpoints } from './passkey-endpoints';
import { passkeySignInEndpoints } from './passkey-sign-in-endpoints';

export interface PasskeysModuleDeps {
  webauthn: WebAuthnConfig;
  keys: KeyEncryptionKeys;
  tables: {
    users: UsersTable;
    identities: IdentitiesTable;
    outbox: MailOutboxTable;
    mfaChallenges: MfaChallengesTable;
    passkeys: PasskeysTable;
    passkeyChallenges: PasskeyChallengesTable;
  };
  transaction: Transactions;
  audit: AuditLog;
  templates: MailTemplates;
  clock: Clock;
  /** The per-IP login window every sign-in attempt counts on. */
  throttle: LoginThrottle;
}

export interface Passkeys {
  /** Registration, listing, renaming, removal. */
  service: PasskeyService;
  /** The username-less sign-in door (the JSON API's and the hosted sign-in page's). */
  signIn: PasskeySignIn;
  /** A passkey as second factor (mfa/mfa-verification.ts takes it). */
  secondFactor: PasskeySecondFactor;
  /** "How many ways in": used by every last-sign-in-method guard. */
  methods: SignInMethods;
  endpoints(pipeline: SignInPipeline): AnyEndpoint[];
}

/** What the second-factor step (mfa/mfa-step.ts extraMethods) and the unproved account (account/unproved-account.ts alsoRemove) need of passkeys. */
export const passkeyHooks = (passkeys: PasskeysTable) => ({
  secondFactorMethods: async (userId: string): Promise<SecondFactorMethod[]> => ((await passkeys.countOfUser(userId)) > 0 ? ['passkey'] : []),
  removeOfUser: (tx: Transaction, userId: string): Promise<number> => passkeys.in(tx).removeOfUser(userId),
});

export function composePasskeys({ webauthn, keys, tables, transaction, audit, templates, clock, throttle }: PasskeysModuleDeps): Passkeys {
  const { passkeys, passkeyChallenges: challenges } = tables;
  const relyingParty = new RelyingParty(webauthn);
  const seal = new CredentialSeal(passkeyCredentialEnvelope(keys));
  const methods = new SignInMethods(tables);
  const assertions = new PasskeyAssertions({ passkeys, keys: new PasskeyKeys(seal), relyingParty, audit });
  const service = new PasskeyService({ transaction, passkeys, challenges, outbox: tables.outbox, audit, methods, seal, relyingParty, templates, clock });
  const signIn = new PasskeySignIn({ challenges, passkeys, throttle, relyingParty, assertions });
  const secondFactor = new PasskeySecondFactor({ mfaChallenges: tables.mfaChallenges, passkeys, challenges, seal, relyingParty, assertions });
  return {
    service,
    signIn,
    secondFactor,
    methods,
    endpoints: (pipeline) => [...passkeyEndpoints(service), ...passkeySignInEndpoints(signIn, secondFactor, pipeline, throttle)],
  };
}
