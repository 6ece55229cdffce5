/**
 * Table mfa_challenge: sign-ins waiting for their second factor. The mfaToken is opaque
 * (crypto/opaque-token.ts) and stored only as its hash; it is single use, expires, and is dead
 * after MAX_WRONG_CODES wrong codes. `amr` remembers how the first factor was made.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Table } from './table';
import type { Account, AuthMethod } from '../domain/user';
import type { FactorRow } from './mfa-factors';
import { Statement, withFragments, type Cte, type Fragment } from '../db/statement';
import { namedFor } from './statement-names';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';

/** Wrong codes an mfaToken survives: the fifth kills it. */
export const MAX_WRONG_CODES = 5;
/** How long an mfaToken lives, seconds. */
export const MFA_TOKEN_TTL = 5 * 60;

/** An answerable challenge, its account as it is now, and the account's TOTP factor (if any). */
export interface OpenChallenge {
  id: string;
  amr: AuthMethod[];
  account: Account;
  factor: FactorRow | null;
}

/** What answering a challenge came to. */
export type Answer = 'passed' | 'spent' | { wrongCodes: number };

/** The CTE of answer()'s statement that holds the locked challenge: an acceptance fragment writes only if it has a row. */
export const ANSWERED_CHALLENGE = 'answered_challenge';
/** The CTE an acceptance fragment must define, returning a row when the answer was right. */
export const ACCEPTED_ANSWER = 'accepted_answer';

/** A challenge that may still be answered: not spent, not expired, fewer than MAX_WRONG_CODES wrong codes. $n: now. */
const usable = (now: string) => `c."usedAt" IS NULL AND c."expiresAt" > ${now} AND c.failures < ${MAX_WRONG_CODES}`;
/** The challenge `id`, locked if still usable: answers to one mfaToken are judged one at a time. */
const lockedIfUsable = (id: string, now: string): Cte => ({
  name: ANSWERED_CHALLENGE,
  body: `SELECT c.id FROM mfa_challenge c WHERE c.id = ${id} AND ${usable(now)} FOR UPDATE`,
});
/** Spends the locked challenge when the answer was accepted; its id back. */
const spentIfAccepted = (name: string, now: string): Cte => ({
  name,
  body: `UPDATE mfa_challenge SET "usedAt" = ${now} WHERE id IN (SELECT id FROM ${ANSWERED_CHALLENGE}) AND EXISTS (SELECT 1 FROM ${ACCEPTED_ANSWER}) RETURNING id`,
});
/** No acceptance: a code that matches nothing. */
const nothingAccepted: Fragment = () => [{ name: ACCEPTED_ANSWER, body: 'SELECT NULL::uuid AS id WHERE false' }];

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

  /**
   * The usable challenge behind `mfaToken`, with everything answering it needs, read in one
   * statement: its account as it is now (a disabled account is refused by the sign-in pipeline)
   * and the account's TOTP factor.
   */
  async findOpen(mfaToken: string): Promise<OpenChallenge | undefined> {
    const { rows } = await this.db.query<{ id: string; amr: AuthMethod[]; account: Account; factor: FactorRow | null }>({
      name: 'mfa-challenge-open',
      text: `SELECT c.id, c.amr,
                    json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'createdAt', u."createdAt", 'emailVerifiedAt', u."emailVerifiedAt",
                                      'mfaEnabled', u."mfaEnabled", 'disabledAt', u."disabledAt") AS account,
                    (SELECT json_build_object('id', f.id, 'userId', f."userId", 'sealedSecret', f."sealedSecret", 'createdAt', f."createdAt", 'confirmedAt', f."confirmedAt")
                       FROM mfa_factor f WHERE f."userId" = c."userId") AS factor
               FROM mfa_challenge c JOIN "user" u ON u.id = c."userId"
              WHERE c."tokenHash" = $1 AND ${usable('$2')}`,
      values: [hashOpaqueToken(mfaToken), this.clock()],
    });
    const row = rows[0];
    if (!row) return undefined;
    const date = (value: unknown) => (value === null ? null : new Date(value as string));
    const { account, factor } = row;
    return {
      id: row.id,
      amr: row.amr,
      account: { ...account, createdAt: date(account.createdAt)!, emailVerifiedAt: date(account.emailVerifiedAt), disabledAt: date(account.disabledAt) },
      factor: factor && { ...factor, createdAt: date(factor.createdAt)!, confirmedAt: date(factor.confirmedAt) },
    };
  }

  /**
   * Answers a challenge in one statement: it is locked if still usable (answers to one mfaToken
   * are judged one at a time, however many arrive at once), `accepting` (a fragment of the
   * factor's or recovery codes' module that defines ACCEPTED_ANSWER, writing only when
   * ANSWERED_CHALLENGE has a row) spends the code, and the challenge is spent when it did, or
   * counts one more wrong code when it did not (dead at MAX_WRONG_CODES). No `accepting`: a code
   * that matches nothing, counted as wrong.
   */
  async answer(challengeId: string, accepting: Fragment | undefined): Promise<Answer> {
    const statement = new Statement();
    const [id, now] = [statement.bind(challengeId), statement.bind(this.clock())];
    const text = withFragments(
      statement,
      [
        accepting ?? nothingAccepted,
        () => [
          spentIfAccepted('spent', now),
          {
            name: 'wrong',
            body: `UPDATE mfa_challenge SET failures = failures + 1 WHERE id IN (SELECT id FROM ${ANSWERED_CHALLENGE}) AND NOT EXISTS (SELECT 1 FROM ${ACCEPTED_ANSWER}) RETURNING failures`,
          },
        ],
      ],
      [lockedIfUsable(id, now)],
      `SELECT EXISTS (SELECT 1 FROM spent) AS passed, (SELECT failures FROM wrong) AS "wrongCodes"`,
    );
    const { rows } = await this.db.query<{ passed: boolean; wrongCodes: number | null }>({ name: namedFor(text), text, values: statement.values });
    const row = rows[0]!;
    if (row.passed) return 'passed';
    return row.wrongCodes === null ? 'spent' : { wrongCodes: row.wrongCodes };
  }

  /**
   * answer() of a right answer, as a fragment of the sign-in's one statement: the challenge locked
   * if still usable, `accepting` spends the code, and the challenge is spent; CTE `name` has its id
   * when all that happened. A wrong answer, or a challenge spent or dead meanwhile, leaves `name`
   * empty and counts nothing: the statement must then fail, and answer() judge it on its own.
   */
  passing(challengeId: string, accepting: Fragment | undefined, name: string): Fragment {
    return (statement) => {
      const [id, now] = [statement.bind(challengeId), statement.bind(this.clock())];
      return [lockedIfUsable(id, now), ...(accepting ?? nothingAccepted)(statement), spentIfAccepted(name, now)];
    };
  }

  /** Ends every open challenge of the user (its mfaTokens stop working). */
  async removeOfUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM mfa_challenge WHERE "userId" = $1`, [userId]);
  }
}
