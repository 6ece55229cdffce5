/**
 * Table "user": every statement on it, and the one mapping from its row to the domain's User.
 * Plain SQL on the pg pool, like every runtime query (docs/decisions/0010-runtime-queries.md).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../errors';
import { isUniqueViolation } from '../db/database-errors';
import type { Queryable } from '../db/transaction';
import type { User, UserWithHash } from '../domain/user';

/** The columns of `User`, for every statement that returns one. */
export const USER_COLUMNS = 'id, email, name, "createdAt", "emailVerifiedAt", "mfaEnabled"';
const WITH_HASH = `${USER_COLUMNS}, "passwordHash"`;

export class UsersTable {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates a user; AppError email_taken when the (normalised) email exists. */
  async create(data: { email: string; passwordHash: string; name: string | null }): Promise<User> {
    try {
      const { rows } = await this.pool.query<User>({
        name: 'user-create',
        text: `INSERT INTO "user" (id, email, "passwordHash", name, "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, now(), now())
               RETURNING ${USER_COLUMNS}`,
        values: [randomUUID(), data.email, data.passwordHash, data.name],
      });
      return rows[0]!;
    } catch (error) {
      if (isUniqueViolation(error, 'user_email_key')) throw new AppError('email_taken', 'An account with this email already exists.');
      throw error;
    }
  }

  /** A user without a password (made by an OpenID Connect provider); a unique violation on the address propagates. */
  async createWithoutPassword(tx: Queryable, data: { email: string; name: string | null; emailVerifiedAt: Date | null }): Promise<User> {
    const { rows } = await tx.query<User>(
      `INSERT INTO "user" (id, email, "passwordHash", name, "createdAt", "updatedAt", "emailVerifiedAt") VALUES ($1, $2, NULL, $3, now(), now(), $4)
       RETURNING ${USER_COLUMNS}`,
      [randomUUID(), data.email, data.name, data.emailVerifiedAt],
    );
    return rows[0]!;
  }

  async findByEmail(email: string, db: Queryable = this.pool): Promise<UserWithHash | null> {
    const { rows } = await db.query<UserWithHash>({ name: 'user-by-email', text: `SELECT ${WITH_HASH} FROM "user" WHERE email = $1`, values: [email] });
    return rows[0] ?? null;
  }

  /** The user with its hash, its row locked until `tx` ends (changes to its sign-in methods wait for each other). */
  async lockById(tx: Queryable, id: string): Promise<UserWithHash | null> {
    const { rows } = await tx.query<UserWithHash>(`SELECT ${WITH_HASH} FROM "user" WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  /**
   * An address proved by someone else (an OpenID Connect provider) takes the account over: the
   * password, set by whoever registered the address without proving it, is removed, and the
   * address counts as verified from now on.
   */
  async removeUnprovedPassword(tx: Queryable, userId: string, now: Date): Promise<void> {
    await tx.query(`UPDATE "user" SET "passwordHash" = NULL, "emailVerifiedAt" = $2, "updatedAt" = $2 WHERE id = $1`, [userId, now]);
  }

  async findById(id: string, db: Queryable = this.pool): Promise<User | null> {
    const { rows } = await db.query<User>({ name: 'user-by-id', text: `SELECT ${USER_COLUMNS} FROM "user" WHERE id = $1`, values: [id] });
    return rows[0] ?? null;
  }

  async findByIdWithHash(id: string): Promise<UserWithHash | null> {
    const { rows } = await this.pool.query<UserWithHash>({ name: 'user-by-id-with-hash', text: `SELECT ${WITH_HASH} FROM "user" WHERE id = $1`, values: [id] });
    return rows[0] ?? null;
  }

  /** A fresh hash of the same password (a login found the stored one weaker than configured). */
  async rehashPassword(id: string, expectedHash: string, passwordHash: string): Promise<void> {
    await this.pool.query(`UPDATE "user" SET "passwordHash" = $3, "updatedAt" = now() WHERE id = $1 AND "passwordHash" = $2`, [id, expectedHash, passwordHash]);
  }

  /**
   * Compare-and-set of a password change: the row is locked and its hash replaced only if it is
   * still `expectedHash`. Concurrent changes of one user wait for each other on the row lock; the
   * later ones find the hash replaced and change nothing. Run it in the transaction that then
   * revokes the user's other sessions.
   */
  async replacePasswordHash(tx: Queryable, change: { userId: string; expectedHash: string; newHash: string }): Promise<boolean> {
    const { rowCount } = await tx.query(`UPDATE "user" SET "passwordHash" = $3, "updatedAt" = now() WHERE id = $1 AND "passwordHash" = $2`, [
      change.userId,
      change.expectedHash,
      change.newHash,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** A password reset: the new hash, and the address counts as verified (opening the link proved control of it). */
  async resetPassword(tx: Queryable, userId: string, passwordHash: string, now: Date): Promise<void> {
    await tx.query(`UPDATE "user" SET "passwordHash" = $2, "updatedAt" = $3, "emailVerifiedAt" = COALESCE("emailVerifiedAt", $3) WHERE id = $1`, [
      userId,
      passwordHash,
      now,
    ]);
  }

  /** Kept in the transaction that confirms or removes the user's second factor (mfa/mfa-service.ts). */
  async setMfaEnabled(tx: Queryable, userId: string, enabled: boolean): Promise<void> {
    await tx.query(`UPDATE "user" SET "mfaEnabled" = $2, "updatedAt" = now() WHERE id = $1`, [userId, enabled]);
  }

  async markEmailVerified(tx: Queryable, userId: string, now: Date): Promise<void> {
    await tx.query(`UPDATE "user" SET "emailVerifiedAt" = COALESCE("emailVerifiedAt", $2), "updatedAt" = $2 WHERE id = $1`, [userId, now]);
  }

  /** The address of a verified email change; a unique violation (the address was taken meanwhile) propagates. */
  async changeEmail(tx: Queryable, userId: string, email: string, now: Date): Promise<void> {
    await tx.query(`UPDATE "user" SET email = $2, "emailVerifiedAt" = $3, "updatedAt" = $3 WHERE id = $1`, [userId, email, now]);
  }
}
