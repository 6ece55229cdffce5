/**
 * Whoever registers an address they do not own must keep no way back in once the owner proves
 * it. The first proof of a never-verified address (a provider that asserts it verified, taking
 * the account over; a password reset link; a verification link) removes every way into the
 * account that was added before it, in the transaction of the proof:
 *
 * - its other provider identities, its second factor and recovery codes, its passkeys, its open
 *   mfaTokens and one-time exchange codes, its unused mail tokens;
 * - its password, unless the proof sets it (a reset) or the proof is the registration's own
 *   verification link (the registrant is, nearly always, the owner clicking it: `registration`);
 * - its sessions (a reset revokes them itself; the registrant's session survives its own verification).
 */
import type { Transaction } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { SessionsTable } from '../tables/sessions';
import type { EmailTokensTable } from '../tables/email-tokens';
import type { IdentitiesTable } from '../tables/identities';
import type { MfaFactorsTable } from '../tables/mfa-factors';
import type { RecoveryCodesTable } from '../tables/recovery-codes';
import type { MfaChallengesTable } from '../tables/mfa-challenges';
import type { OidcExchangeCodesTable } from '../tables/oidc-exchange-codes';

export interface UnprovedAccountDeps {
  users: UsersTable;
  sessions: SessionsTable;
  emailTokens: EmailTokensTable;
  identities: IdentitiesTable;
  mfaFactors: MfaFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  mfaChallenges: MfaChallengesTable;
  oidcExchangeCodes: OidcExchangeCodesTable;
  /** More ways in to remove (v4: the account's passkeys), on the same transaction; returns how many went. */
  alsoRemove?: Array<(tx: Transaction, userId: string) => Promise<number>>;
}

/** What the proof left in place. */
export type Kept = 'nothing' | 'password-it-sets' | 'registration';

/** What went, for the log line and the event (counts, never a secret). */
export interface Removed {
  identities: number;
  secondFactor: boolean;
  sessions: number;
  password: boolean;
  other: number;
}

export class UnprovedAccount {
  constructor(private readonly deps: UnprovedAccountDeps) {}

  /** Removes every way in that came before the proof (see above), on `tx`; the address counts as verified from now on. */
  async secure(tx: Transaction, userId: string, now: Date, kept: Kept): Promise<Removed> {
    const { users, sessions, emailTokens, identities, mfaFactors, recoveryCodes, mfaChallenges, oidcExchangeCodes, alsoRemove = [] } = this.deps;
    const removedIdentities = await identities.in(tx).removeOfUser(userId);
    const secondFactor = await mfaFactors.in(tx).removeOfUser(userId);
    await recoveryCodes.in(tx).removeOfUser(userId);
    await users.in(tx).setMfaEnabled(userId, false);
    await mfaChallenges.in(tx).removeOfUser(userId);
    await oidcExchangeCodes.in(tx).removeOfUser(userId);
    await emailTokens.in(tx).revokeOfUser(userId, now);
    let other = 0;
    for (const remove of alsoRemove) other += await remove(tx, userId);
    const password = kept === 'nothing';
    if (password) await users.in(tx).removeUnprovedPassword(userId, now);
    else await users.in(tx).markEmailVerified(userId, now);
    const revoked = kept === 'nothing' ? await sessions.in(tx).revokeAllOfUser(userId, 'identity-takeover') : 0;
    return { identities: removedIdentities, secondFactor, sessions: revoked, password, other };
  }
}
