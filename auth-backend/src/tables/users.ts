/**
 * Table "user": every statement on it, and the one mapping from its row to the domain's User.
 * Plain SQL on the pg pool, like every runtime query (docs/decisions/0012-runtime-queries.md).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import { isUniqueViolation } from '../db/database-errors';
import { Table } from './table';
import type { Fragment } from '../db/statement';
import type { Account, AdminUser, Role, User, UserWithHash } from '../domain/user';

/** A page of the admin list: newest first, optionally filtered by a case-insensitive substring. */
export interface UserListQuery {
  search?: string;
  limit: number;
  before?: { createdAt: Date; id: string };
}

export interface AdminChanges {
  role?: Role;
  disabled?: boolean;
  emailVerified?: boolean;
  name?: string | null;
}

/**
 * Email and name as one text, the expression of the trigram index user_search_trgm_idx (the
 * 20261203400000 migration): a search term holds no control character, so it never matches across the two.
 */
const SEARCHABLE = `(email || E'\\x01' || COALESCE(name, ''))`;

/** `term` as a literal inside an ILIKE pattern. */
const likeLiteral = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The columns of `User`, for every statement that returns one. */
export const USER_COLUMNS = 'id, email, name, "createdAt", "emailVerifiedAt", "mfaEnabled"';
const WITH_HASH = `${USER_COLUMNS}, "passwordHash", "disabledAt"`;
/** The columns of `AdminUser` (the admin API's view). */
const ADMIN_COLUMNS = `${USER_COLUMNS}, role, "disabledAt", "lastSignInAt",
  ARRAY(SELECT i.provider FROM user_identity i WHERE i."userId" = "user".id ORDER BY i."createdAt", i.id) AS identities,
  (SELECT count(*) FROM passkey p WHERE p."userId" = "user".id)::int AS passkeys`;

export class UsersTable extends Table {
  /** Creates a user; AppError email_taken when the (normalised) email exists. */
  async create(data: { email: string; passwordHash: string; name: string | null }): Promise<User> {
    try {
      const { rows } = await this.db.query<User>({
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
  async createWithoutPassword(data: { email: string; name: string | null; emailVerifiedAt: Date | null }): Promise<User> {
    const { rows } = await this.db.query<User>(
      `INSERT INTO "user" (id, email, "passwordHash", name, "createdAt", "updatedAt", "emailVerifiedAt") VALUES ($1, $2, NULL, $3, now(), now(), $4)
       RETURNING ${USER_COLUMNS}`,
      [randomUUID(), data.email, data.name, data.emailVerifiedAt],
    );
    return rows[0]!;
  }

  async findByEmail(email: string): Promise<UserWithHash | null> {
    const { rows } = await this.db.query<UserWithHash>({ name: 'user-by-email', text: `SELECT ${WITH_HASH} FROM "user" WHERE email = $1`, values: [email] });
    return rows[0] ?? null;
  }

  /** The user with its hash, its row locked until `tx` ends (changes to its sign-in methods wait for each other). */
  async lockById(id: string): Promise<UserWithHash | null> {
    const { rows } = await this.tx.query<UserWithHash>(`SELECT ${WITH_HASH} FROM "user" WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  /**
   * An address proved by someone else (an OpenID Connect provider) takes the account over: the
   * password, set by whoever registered the address without proving it, is removed, and the
   * address counts as verified from now on.
   */
  async removeUnprovedPassword(userId: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE "user" SET "passwordHash" = NULL, "emailVerifiedAt" = $2, "updatedAt" = $2 WHERE id = $1`, [userId, now]);
  }

  async findById(id: string): Promise<User | null> {
    const { rows } = await this.db.query<User>({ name: 'user-by-id', text: `SELECT ${USER_COLUMNS} FROM "user" WHERE id = $1`, values: [id] });
    return rows[0] ?? null;
  }

  /**
   * The account `id` as the one-statement sign-in reads it (sign-in/sign-in-pipeline.ts finish),
   * as a fragment defining CTE `name`: a row only when `gate` has one (the door's credential
   * passed) and the account may sign in by the pipeline's rules, said here in SQL as finish() says
   * them in code: not disabled, and with `requireVerifiedEmail`, a proved address.
   */
  signingIn(id: string, gate: string, requireVerifiedEmail: boolean, name: string): Fragment {
    return (statement) => [
      {
        name,
        body: `SELECT ${USER_COLUMNS} FROM "user" WHERE id = ${statement.bind(id)} AND EXISTS (SELECT 1 FROM ${gate})
                  AND "disabledAt" IS NULL${requireVerifiedEmail ? ' AND "emailVerifiedAt" IS NOT NULL' : ''}`,
      },
    ];
  }

  /** The user and whether it is disabled: what a sign-in door hands the pipeline. */
  async findAccount(id: string): Promise<Account | null> {
    const { rows } = await this.db.query<Account>({
      name: 'user-account-by-id',
      text: `SELECT ${USER_COLUMNS}, "disabledAt" FROM "user" WHERE id = $1`,
      values: [id],
    });
    return rows[0] ?? null;
  }

  async findByIdWithHash(id: string): Promise<UserWithHash | null> {
    const { rows } = await this.db.query<UserWithHash>({ name: 'user-by-id-with-hash', text: `SELECT ${WITH_HASH} FROM "user" WHERE id = $1`, values: [id] });
    return rows[0] ?? null;
  }

  /** A fresh hash of the same password (a login found the stored one weaker than configured). */
  async rehashPassword(id: string, expectedHash: string, passwordHash: string): Promise<void> {
    await this.db.query(`UPDATE "user" SET "passwordHash" = $3, "updatedAt" = now() WHERE id = $1 AND "passwordHash" = $2`, [id, expectedHash, passwordHash]);
  }

  /**
   * Compare-and-set of a password change: the row is locked and its hash replaced only if it is
   * still `expectedHash`. Concurrent changes of one user wait for each other on the row lock; the
   * later ones find the hash replaced and change nothing. Run it in the transaction that then
   * revokes the user's other sessions.
   */
  async replacePasswordHash(change: { userId: string; expectedHash: string; newHash: string }): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE "user" SET "passwordHash" = $3, "updatedAt" = now() WHERE id = $1 AND "passwordHash" = $2`, [
      change.userId,
      change.expectedHash,
      change.newHash,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** A password reset: the new hash, and the address counts as verified (opening the link proved control of it). */
  async resetPassword(userId: string, passwordHash: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE "user" SET "passwordHash" = $2, "updatedAt" = $3, "emailVerifiedAt" = COALESCE("emailVerifiedAt", $3) WHERE id = $1`, [
      userId,
      passwordHash,
      now,
    ]);
  }

  /** Kept in the transaction that confirms or removes the user's second factor (mfa/mfa-service.ts). */
  async setMfaEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.db.query(`UPDATE "user" SET "mfaEnabled" = $2, "updatedAt" = now() WHERE id = $1`, [userId, enabled]);
  }

  async markEmailVerified(userId: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE "user" SET "emailVerifiedAt" = COALESCE("emailVerifiedAt", $2), "updatedAt" = $2 WHERE id = $1`, [userId, now]);
  }

  /** The address of a verified email change; a unique violation (the address was taken meanwhile) propagates. */
  async changeEmail(userId: string, email: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE "user" SET email = $2, "emailVerifiedAt" = $3, "updatedAt" = $3 WHERE id = $1`, [userId, email, now]);
  }

  /** A sign-in completed (the admin list's lastSignInAt), as a fragment of the statement that opens its session. */
  signInRecorded(userId: string): Fragment {
    return (statement) => [{ name: 'signed_in', body: `UPDATE "user" SET "lastSignInAt" = now() WHERE id = ${statement.bind(userId)}` }];
  }

  /** What an admin endpoint checks on every call: the caller's role, read now (a demotion acts at once). */
  async roleOf(id: string): Promise<Role | null> {
    const { rows } = await this.db.query<{ role: Role }>({ name: 'user-role', text: `SELECT role FROM "user" WHERE id = $1`, values: [id] });
    return rows[0]?.role ?? null;
  }

  /** The operators' way in (users:set-role); false when no account has that (normalised) address. */
  async setRoleByEmail(email: string, role: Role): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string }>(`UPDATE "user" SET role = $2, "updatedAt" = now() WHERE email = $1 RETURNING id`, [email, role]);
    return rows[0]?.id ?? null;
  }

  async findAdminView(id: string): Promise<AdminUser | null> {
    const { rows } = await this.db.query<AdminUser>(`SELECT ${ADMIN_COLUMNS} FROM "user" WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Newest first by the keyset (createdAt, id), so that pages stay stable while users register.
   * The search is served by the trigram index over email and name (SEARCHABLE).
   */
  async list(query: UserListQuery): Promise<AdminUser[]> {
    const pattern = query.search ? `%${likeLiteral(query.search)}%` : null;
    const { rows } = await this.db.query<AdminUser>(
      `SELECT ${ADMIN_COLUMNS} FROM "user"
        WHERE ($1::text IS NULL OR ${SEARCHABLE} ILIKE $1)
          AND ($2::timestamptz IS NULL OR ("createdAt", id) < ($2::timestamptz, $3::uuid))
        ORDER BY "createdAt" DESC, id DESC LIMIT $4`,
      [pattern, query.before?.createdAt ?? null, query.before?.id ?? null, query.limit],
    );
    return rows;
  }

  /** An administrator's changes, on the caller's transaction; null when there is no such user. */
  async applyAdminChanges(id: string, changes: AdminChanges, now: Date): Promise<AdminUser | null> {
    const { rows } = await this.db.query<AdminUser>(
      `UPDATE "user" SET
          role = COALESCE($2, role),
          "disabledAt" = CASE WHEN $3::boolean IS NULL THEN "disabledAt" WHEN $3 THEN COALESCE("disabledAt", $6) ELSE NULL END,
          "emailVerifiedAt" = CASE WHEN $4::boolean IS NULL THEN "emailVerifiedAt" WHEN $4 THEN COALESCE("emailVerifiedAt", $6) ELSE NULL END,
          name = CASE WHEN $5::boolean THEN $7 ELSE name END,
          "updatedAt" = $6
        WHERE id = $1 RETURNING ${ADMIN_COLUMNS}`,
      [id, changes.role ?? null, changes.disabled ?? null, changes.emailVerified ?? null, changes.name !== undefined, now, changes.name ?? null],
    );
    return rows[0] ?? null;
  }

  /**
   * Erases the account: the row goes, and the foreign keys take its sessions, refresh tokens and
   * email tokens (and v3's identities and factors) with it. Returns the address it had, or null.
   */
  async erase(id: string): Promise<string | null> {
    const { rows } = await this.db.query<{ email: string }>(`DELETE FROM "user" WHERE id = $1 RETURNING email`, [id]);
    return rows[0]?.email ?? null;
  }
}
