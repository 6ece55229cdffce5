/**
 * Table mfa_factor: the TOTP factor of a user (at most one), pending until confirmed. The secret
 * is stored sealed (the caller seals it, bound to the row's id and user id); lastStep is the
 * newest time step accepted, advanced by one conditional UPDATE so that a code is accepted at
 * most once, even by concurrent requests.
 */
import { Table } from './table';
import type { Fragment } from '../db/statement';

export interface FactorRow {
  id: string;
  userId: string;
  sealedSecret: string;
  createdAt: Date;
  confirmedAt: Date | null;
}

const COLUMNS = `id, "userId", "sealedSecret", "createdAt", "confirmedAt"`;

export class MfaFactorsTable extends Table {
  /**
   * Stores a pending factor, replacing the user's pending one; nothing when the user has an
   * active factor (then false). One statement: the unique "userId" decides between the two.
   */
  async putPending(factor: { id: string; userId: string; sealedSecret: string; now: Date }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO mfa_factor AS f (id, "userId", "sealedSecret", "createdAt") VALUES ($1, $2, $3, $4)
       ON CONFLICT ("userId") DO UPDATE SET id = EXCLUDED.id, "sealedSecret" = EXCLUDED."sealedSecret", "createdAt" = EXCLUDED."createdAt", "lastStep" = 0
       WHERE f."confirmedAt" IS NULL`,
      [factor.id, factor.userId, factor.sealedSecret, factor.now],
    );
    return (rowCount ?? 0) > 0;
  }

  /** The user's factor, pending or active. */
  async findOfUser(userId: string): Promise<FactorRow | undefined> {
    const { rows } = await this.db.query<FactorRow>(`SELECT ${COLUMNS} FROM mfa_factor WHERE "userId" = $1`, [userId]);
    return rows[0];
  }

  /**
   * Accepts time step `step` for the factor: true only if it is newer than every step accepted
   * before (one conditional UPDATE: of two concurrent requests with one code, one wins).
   * `state`: only while the factor is pending, or only while it is active.
   */
  async acceptStep(factorId: string, step: number, state: 'pending' | 'active'): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE mfa_factor SET "lastStep" = $2 WHERE id = $1 AND "lastStep" < $2 AND "confirmedAt" IS ${state === 'pending' ? '' : 'NOT '}NULL`,
      [factorId, step],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * The acceptance of time step `step` of the active factor as a fragment of a challenge's answer
   * (tables/mfa-challenges.ts answer): the same conditional UPDATE as acceptStep, gated on `gate`
   * (a CTE that has a row only while the challenge may be answered); defines `name`.
   */
  acceptingStep(factorId: string, step: number, names: { gate: string; name: string }): Fragment {
    return (statement) => [
      {
        name: names.name,
        body: `UPDATE mfa_factor SET "lastStep" = ${statement.bind(step)}
                WHERE id = ${statement.bind(factorId)} AND "lastStep" < ${statement.bind(step)} AND "confirmedAt" IS NOT NULL
                  AND EXISTS (SELECT 1 FROM ${names.gate}) RETURNING id`,
      },
    ];
  }

  /** The pending factor becomes active. */
  async confirm(factorId: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE mfa_factor SET "confirmedAt" = $2 WHERE id = $1 AND "confirmedAt" IS NULL`, [factorId, now]);
    return (rowCount ?? 0) > 0;
  }

  /** Every factor's sealed secret, oldest first: what `npm run secrets:reseal` goes through. */
  async listSealed(): Promise<Array<Pick<FactorRow, 'id' | 'userId' | 'sealedSecret'>>> {
    const { rows } = await this.db.query<FactorRow>(`SELECT id, "userId", "sealedSecret" FROM mfa_factor ORDER BY "createdAt", id`);
    return rows;
  }

  /** The secret sealed anew (another KEY_ENCRYPTION_KEY), only while it is still `from`: a setup in between wins. */
  async replaceSealedSecret(factorId: string, from: string, to: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE mfa_factor SET "sealedSecret" = $3 WHERE id = $1 AND "sealedSecret" = $2`, [factorId, from, to]);
    return (rowCount ?? 0) > 0;
  }

  /** Removes the factor; false when it was gone already. */
  async remove(factorId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM mfa_factor WHERE id = $1`, [factorId]);
    return (rowCount ?? 0) > 0;
  }

  /** Removes the user's factor, pending or active; false when there was none. */
  async removeOfUser(userId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM mfa_factor WHERE "userId" = $1`, [userId]);
    return (rowCount ?? 0) > 0;
  }
}
