import { PrismaClient } from '@prisma/client';
import type pg from 'pg';
import { createPool, FixedPrismaPg } from './pg-adapter';

export interface Database {
  /** Shared by Prisma, raw hot-path queries and the throttling store. */
  pool: pg.Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** One pool for the whole process; connecting fails fast so requests get a 503, not a hang. */
export function createDatabase(databaseUrl: string, options: { max?: number } = {}): Database {
  const pool = createPool(databaseUrl, {
    max: options.max ?? 10,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server emits 'error'; without a listener the process dies.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new FixedPrismaPg(pool) });
  return {
    pool,
    prisma,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
