import { Prisma, type PrismaClient } from '@prisma/client';
import type pg from 'pg';
import { AppError } from '../errors';

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

export class UserRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /** Creates a user; AppError email_taken when the (normalised) email exists. */
  async create(data: { email: string; passwordHash: string; name: string | null }): Promise<User> {
    try {
      return await this.prisma.user.create({ data, select: publicFields });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('email_taken', 'An account with this email already exists.');
      }
      throw error;
    }
  }

  findByEmail(email: string): Promise<UserWithHash | null> {
    return this.prisma.user.findUnique({ where: { email }, select: { ...publicFields, passwordHash: true } });
  }

  findByIdWithHash(id: string): Promise<UserWithHash | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { ...publicFields, passwordHash: true } });
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.prisma.user.update({ where: { id }, data: { passwordHash }, select: { id: true } });
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
