import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import type pg from 'pg';
import { AppError } from '../errors';
import { isUniqueViolation } from '../db/database-errors';

export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: Date;
  /** null until the user proves control of `email` (API: `emailVerified`). */
  emailVerifiedAt: Date | null;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

const publicFields = { id: true, email: true, name: true, createdAt: true, emailVerifiedAt: true } as const;
/** The columns of `User`, for the plain-SQL queries. */
const PUBLIC_COLUMNS = 'id, email, name, "createdAt", "emailVerifiedAt"';

export class UserRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Creates a user; AppError email_taken when the (normalised) email exists. Plain SQL, like
   * findByEmail: register and login are the bcrypt-bound paths, and every CPU cycle the main
   * thread spends (Prisma compiles each query in WebAssembly) is taken from hashing.
   */
  async create(data: { email: string; passwordHash: string; name: string | null }): Promise<User> {
    try {
      const { rows } = await this.pool.query<User>({
        name: 'user-create',
        text: `INSERT INTO "user" (id, email, "passwordHash", name, "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, now(), now())
               RETURNING ${PUBLIC_COLUMNS}`,
        values: [randomUUID(), data.email, data.passwordHash, data.name],
      });
      return rows[0]!;
    } catch (error) {
      if (isUniqueViolation(error, 'user_email_key')) throw new AppError('email_taken', 'An account with this email already exists.');
      throw error;
    }
  }

  async findByEmail(email: string): Promise<UserWithHash | null> {
    const { rows } = await this.pool.query<UserWithHash>({
      name: 'user-by-email',
      text: `SELECT ${PUBLIC_COLUMNS}, "passwordHash" FROM "user" WHERE email = $1`,
      values: [email],
    });
    return rows[0] ?? null;
  }

  findByIdWithHash(id: string): Promise<UserWithHash | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { ...publicFields, passwordHash: true } });
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.prisma.user.update({ where: { id }, data: { passwordHash }, select: { id: true } });
  }

  /**
   * Compare-and-set of a password change, in one statement: the user row is locked, its hash
   * replaced only if it is still `expectedHash` and the session `keepSessionId` is still live,
   * and then every other live session of the user is revoked. Concurrent changes of one user
   * wait for each other on the row lock; the later ones find the hash replaced and change nothing.
   */
  async replacePasswordHash(change: {
    userId: string;
    expectedHash: string;
    newHash: string;
    keepSessionId: string;
  }): Promise<{ changed: boolean; revokedSessions: number }> {
    const { rows } = await this.pool.query<{ changed: number; revoked: number }>({
      name: 'user-replace-password-hash',
      text: `WITH target AS (
               SELECT u.id FROM "user" u
                WHERE u.id = $1 AND u."passwordHash" = $2
                  AND EXISTS (SELECT 1 FROM session s WHERE s.id = $4 AND s."userId" = u.id AND s."revokedAt" IS NULL)
                FOR UPDATE OF u
             ), changed AS (
               UPDATE "user" u SET "passwordHash" = $3, "updatedAt" = now() FROM target WHERE u.id = target.id RETURNING u.id
             ), revoked AS (
               UPDATE session s SET "revokedAt" = now(), "revokedReason" = 'password-change'
                 FROM changed WHERE s."userId" = changed.id AND s."revokedAt" IS NULL AND s.id <> $4
               RETURNING s.id
             )
             SELECT (SELECT count(*) FROM changed)::int AS changed, (SELECT count(*) FROM revoked)::int AS revoked`,
      values: [change.userId, change.expectedHash, change.newHash, change.keepSessionId],
    });
    return { changed: rows[0]!.changed > 0, revokedSessions: rows[0]!.revoked };
  }

  /**
   * The user behind an access token, provided its session is still live: one indexed query
   * on every authenticated request (plain SQL: Prisma compiles each query, see PERFORMANCE.md).
   */
  async findBySession(userId: string, sessionId: string): Promise<User | null> {
    // Named: each connection plans it once (a prepared statement), not on every request.
    const { rows } = await this.pool.query<User>({
      name: 'user-by-live-session',
      text: `SELECT u.id, u.email, u.name, u."createdAt", u."emailVerifiedAt"
               FROM session s JOIN "user" u ON u.id = s."userId"
              WHERE s.id = $2 AND s."userId" = $1 AND s."revokedAt" IS NULL`,
      values: [userId, sessionId],
    });
    return rows[0] ?? null;
  }
}
