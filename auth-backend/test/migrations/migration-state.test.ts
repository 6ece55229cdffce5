import pg from 'pg';
import { PRISMA_MIGRATE_LOCK, prismaIsMigrating } from '../../src/migrations/migration-state';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

describe("Prisma's migration lock (prismaIsMigrating)", () => {
  const databases: TestDatabase[] = [];
  const clients: pg.Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.end();
    for (const database of databases) await database.drop();
  });

  const connect = async (database: TestDatabase) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  it('sees a deploy holding the lock on this database, and not one migrating another database of the server', async () => {
    const [ours, other] = [await createTestDatabase(), await createTestDatabase()];
    databases.push(ours, other);
    const [holderOfOther, holderOfOurs, looker] = [await connect(other), await connect(ours), await connect(ours)];

    await holderOfOther.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    expect(await prismaIsMigrating(looker)).toBe(false);

    await holderOfOurs.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    expect(await prismaIsMigrating(looker)).toBe(true);
  });
});
