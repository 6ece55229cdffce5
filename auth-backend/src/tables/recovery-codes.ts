/**
 * Table recovery_code: a user's recovery codes, only as hashes (the caller hashes them), each
 * usable once: spending one is one conditional UPDATE, so two concurrent uses cannot both pass.
 */
import { randomUUID } from 'node:crypto';
import { Table } from './table';
import type { Fragment } from '../db/statement';

export class RecoveryCodesTable extends Table {
  /** The user's codes become exactly `hashes` (the old ones stop working). */
  async replace(userId: string, hashes: string[], now: Date): Promise<void> {
    await this.db.query(`DELETE FROM recovery_code WHERE "userId" = $1`, [userId]);
    await this.db.query(
      `INSERT INTO recovery_code (id, "userId", "codeHash", "createdAt")
       SELECT id, $1, hash, $4 FROM unnest($2::uuid[], $3::text[]) AS c(id, hash)`,
      [userId, hashes.map(() => randomUUID()), hashes, now],
    );
  }

  /** Spends the user's unused code with this hash; false when there is none. */
  async spend(userId: string, hash: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE recovery_code SET "usedAt" = $3 WHERE "userId" = $1 AND "codeHash" = $2 AND "usedAt" IS NULL`, [
      userId,
      hash,
      now,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** spend() as a fragment of a challenge's answer, gated on `gate` (see mfa-factors.ts acceptingStep); defines `name`. */
  spending(userId: string, hash: string, now: Date, names: { gate: string; name: string }): Fragment {
    return (statement) => [
      {
        name: names.name,
        body: `UPDATE recovery_code SET "usedAt" = ${statement.bind(now)}
                WHERE "userId" = ${statement.bind(userId)} AND "codeHash" = ${statement.bind(hash)} AND "usedAt" IS NULL
                  AND EXISTS (SELECT 1 FROM ${names.gate}) RETURNING id`,
      },
    ];
  }

  async removeOfUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM recovery_code WHERE "userId" = $1`, [userId]);
  }

  /** How many unused codes the user has. */
  async countUnused(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM recovery_code WHERE "userId" = $1 AND "usedAt" IS NULL`, [userId]);
    return rows[0]?.n ?? 0;
  }
}
