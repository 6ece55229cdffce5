/**
 * Table mfa_challenge: sign-ins waiting for their second factor. The mfaToken is opaque
 * (crypto/opaque-token.ts) and stored only as its hash; it is single use, expires, and is dead
 * after MAX_WRONG_CODES wrong codes. `amr` remembers how the first factor was made.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { AuthMethod } from '../domain/user';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';

/** Wrong codes an mfaToken survives: the fifth kills it. */
export const MAX_WRONG_CODES = 5;
/** How long an mfaToken lives, seconds. */
export const MFA_TOKEN_TTL = 5 * 60;

export interface ChallengeRow {
  id: string;
  userId: string;
  userEmail: string;
  amr: AuthMethod[];
}

/** A challenge that may still be answered: not spent, not expired, fewer than MAX_WRONG_CODES wrong codes. $n: now. */
const usable = (now: string) => `c."usedAt" IS NULL AND c."expiresAt" > ${now} AND c.failures < ${MAX_WRONG_CODES}`;

export class MfaChallengesTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /**
   * Opens a challenge for `userId`, whose first factor was `amr`; returns its mfaToken. The user's
   * spent and expired challenges go in the same statement, so the table holds only live ones.
   */
  async open(userId: string, amr: AuthMethod[]): Promise<string> {
    const now = this.clock();
    const { token, hash } = newOpaqueToken();
    await this.db.query(
      `WITH purged AS (DELETE FROM mfa_challenge WHERE "userId" = $2 AND ("usedAt" IS NOT NULL OR "expiresAt" <= $5 OR failures >= ${MAX_WRONG_CODES}))
       INSERT INTO mfa_challenge (id, "userId", "tokenHash", amr, "createdAt", "expiresAt") VALUES ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), userId, hash, amr, now, new Date(now.getTime() + MFA_TOKEN_TTL * 1000)],
    );
    return token;
  }

  /** The usable challenge behind `mfaToken`, with its user's address (for the per-account throttle). */
  async findUsable(mfaToken: string): Promise<ChallengeRow | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(
      `SELECT c.id, c."userId", u.email AS "userEmail", c.amr FROM mfa_challenge c JOIN "user" u ON u.id = c."userId"
        WHERE c."tokenHash" = $1 AND ${usable('$2')}`,
      [hashOpaqueToken(mfaToken), this.clock()],
    );
    return rows[0];
  }

  /**
   * Locks the challenge for `tx` if it is still usable (false otherwise): answers to one mfaToken
   * are checked one at a time, so it never takes more than MAX_WRONG_CODES wrong codes, however
   * many arrive at once, and is spent once.
   */
  async lockUsable(challengeId: string): Promise<boolean> {
    const { rows } = await this.tx.query(`SELECT 1 FROM mfa_challenge c WHERE c.id = $1 AND ${usable('$2')} FOR UPDATE`, [challengeId, this.clock()]);
    return rows.length > 0;
  }

  /** Spends the challenge (locked by lockUsable in the same transaction). */
  async spend(challengeId: string): Promise<void> {
    await this.db.query(`UPDATE mfa_challenge SET "usedAt" = $2 WHERE id = $1`, [challengeId, this.clock()]);
  }

  /** Counts a wrong code against the challenge (locked by lockUsable); returns how many wrong codes it has had. */
  async countWrongCode(challengeId: string): Promise<number> {
    const { rows } = await this.db.query<{ failures: number }>(`UPDATE mfa_challenge SET failures = failures + 1 WHERE id = $1 RETURNING failures`, [
      challengeId,
    ]);
    return rows[0]?.failures ?? MAX_WRONG_CODES;
  }

  /** Ends every open challenge of the user (its mfaTokens stop working). */
  async removeOfUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM mfa_challenge WHERE "userId" = $1`, [userId]);
  }
}
