/**
 * Table passkey_challenge: the WebAuthn challenges the service issued, in the database so that any
 * replica verifies what another issued. A challenge is 256 random bits sent in the options and
 * signed back inside clientDataJSON; only its SHA-256 is stored. It is single use (spent by one
 * conditional UPDATE, whatever the assertion then turns out to be) and lives CHALLENGE_TTL.
 *
 * Each is bound to what it was issued for: a registration to its user, a second factor to the
 * sign-in's mfa_challenge row (so it dies with it), a username-less sign-in to nobody (its id is
 * handed to the client instead). Expired ones are deleted a few at a time as new ones are issued.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { Fragment } from '../db/statement';

/** How long a challenge can be answered, seconds (the options' timeout too). */
export const CHALLENGE_TTL = 5 * 60;

export type ChallengePurpose = 'registration' | 'authentication' | 'second-factor';

/** What a challenge is bound to: a user (registration), a sign-in waiting for its second factor, or nothing. */
export type ChallengeBinding = { userId: string } | { mfaChallengeId: string } | Record<string, never>;

export interface IssuedChallenge {
  id: string;
  /** base64url, as the options carry it. */
  challenge: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const bound = (binding: ChallengeBinding) => ({
  userId: 'userId' in binding ? binding.userId : null,
  mfaChallengeId: 'mfaChallengeId' in binding ? binding.mfaChallengeId : null,
});

export class PasskeyChallengesTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** A new challenge for `purpose`, bound to `binding`. */
  async issue(purpose: ChallengePurpose, binding: ChallengeBinding): Promise<IssuedChallenge> {
    const { token: challenge, hash } = newOpaqueToken();
    const id = randomUUID();
    const now = this.clock();
    const { userId, mfaChallengeId } = bound(binding);
    // Expired challenges are worth nothing: each new one clears a few (the table never grows past what is live).
    await this.db.query({
      name: 'passkey-challenge-issue',
      text: `WITH purged AS (DELETE FROM passkey_challenge WHERE id IN (SELECT id FROM passkey_challenge WHERE "expiresAt" < $6 LIMIT 100))
             INSERT INTO passkey_challenge (id, "challengeHash", purpose, "userId", "mfaChallengeId", "createdAt", "expiresAt")
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      values: [id, hash, purpose, userId, mfaChallengeId, now, new Date(now.getTime() + CHALLENGE_TTL * 1000)],
    });
    return { id, challenge };
  }

  /**
   * Spending the username-less sign-in challenge `id`, answered with `challenge` (as signed back),
   * as a fragment of the statement that records the passkey's use (tables/passkeys.ts recordUse):
   * only when `challenge` is the one issued under that id, for a sign-in, live and unspent; defines
   * `name`, with a row when it was spent.
   */
  spendingForSignIn(id: string, challenge: string, name: string): Fragment {
    return (statement) => {
      const now = statement.bind(this.clock());
      return [
        {
          name,
          body: `UPDATE passkey_challenge SET "usedAt" = ${now}
                  WHERE id = ${statement.bind(UUID.test(id) ? id : null)}::uuid AND "challengeHash" = ${statement.bind(hashOpaqueToken(challenge))}
                    AND purpose = 'authentication' AND "usedAt" IS NULL AND "expiresAt" > ${now} RETURNING id`,
        },
      ];
    };
  }

  /** Spends the username-less sign-in challenge `id` whatever it was answered with: a refused answer spends it too. */
  async discardForSignIn(id: string): Promise<void> {
    if (!UUID.test(id)) return;
    await this.db.query({
      name: 'passkey-challenge-discard-for-sign-in',
      text: `UPDATE passkey_challenge SET "usedAt" = $2 WHERE id = $1 AND purpose = 'authentication' AND "usedAt" IS NULL`,
      values: [id, this.clock()],
    });
  }

  /**
   * Spending the second-factor challenge `challenge` (as signed back) as a fragment of the answer
   * to the sign-in's mfa_challenge (tables/mfa-challenges.ts answer): only one issued for the
   * challenge in `gate` (the locked mfa_challenge row, so the options of one sign-in answer no
   * other), live and unspent; defines `name`, with a row when it was spent.
   */
  spendingForSecondFactor(challenge: string, names: { gate: string; name: string }): Fragment {
    return (statement) => {
      const now = statement.bind(this.clock());
      return [
        {
          name: names.name,
          body: `UPDATE passkey_challenge SET "usedAt" = ${now}
                  WHERE "challengeHash" = ${statement.bind(hashOpaqueToken(challenge))} AND purpose = 'second-factor'
                    AND "mfaChallengeId" IN (SELECT id FROM ${names.gate}) AND "usedAt" IS NULL AND "expiresAt" > ${now} RETURNING id`,
        },
      ];
    };
  }

  /** Spends the challenge `challenge` (as signed back) issued for `purpose` and `binding`; false when there is no such live one. */
  async spend(challenge: string, purpose: Exclude<ChallengePurpose, 'authentication'>, binding: ChallengeBinding): Promise<boolean> {
    const { userId, mfaChallengeId } = bound(binding);
    const { rowCount } = await this.db.query({
      name: 'passkey-challenge-spend',
      text: `UPDATE passkey_challenge SET "usedAt" = $5
              WHERE "challengeHash" = $1 AND purpose = $2 AND "userId" IS NOT DISTINCT FROM $3::uuid AND "mfaChallengeId" IS NOT DISTINCT FROM $4::uuid
                AND "usedAt" IS NULL AND "expiresAt" > $5`,
      values: [hashOpaqueToken(challenge), purpose, userId, mfaChallengeId, this.clock()],
    });
    return (rowCount ?? 0) > 0;
  }
}
