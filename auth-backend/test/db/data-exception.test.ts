import pg from 'pg';
import { translateDataException } from '../../src/db/data-exception';
import { translateDatabaseError } from '../../src/db/database-errors';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** The error PostgreSQL really raises for `sql` with `values`. */
async function errorOf(database: TestDatabase, sql: string, values: unknown[]): Promise<unknown> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(sql, values);
  } catch (error) {
    return error;
  } finally {
    await client.end();
  }
  throw new Error(`${sql} did not fail`);
}

describe('values the database refuses (a safety net behind validation)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
  });
  afterAll(() => database.drop());

  it.each([
    ['text that is not a uuid', 'SELECT $1::uuid', ['not-a-uuid']],
    ['a NUL in text', 'SELECT $1::text', ['a\u0000b']],
    ['a string too long for its column', `INSERT INTO login_failure (key, failures, "windowEndsAt") VALUES ($1, 1, now())`, ['k'.repeat(65)]],
    ['a number out of range', 'SELECT $1::int', ['99999999999']],
  ])('answers 400 bad_request for %s', async (_label, sql, values) => {
    const error = await errorOf(database, sql, values);
    expect(translateDataException(error)).toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('leaves other database errors alone: a unique violation is not a data exception', async () => {
    await database.query(`INSERT INTO login_failure (key, failures, "windowEndsAt") VALUES ('k', 1, now())`);
    const error = await errorOf(database, `INSERT INTO login_failure (key, failures, "windowEndsAt") VALUES ('k', 1, now())`, []);
    expect(translateDataException(error)).toBeUndefined();
    expect(translateDatabaseError(error)).toBeUndefined();
  });
});
