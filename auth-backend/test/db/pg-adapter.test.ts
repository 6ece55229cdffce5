import fs from 'node:fs';
import path from 'node:path';
import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';
import { createPool, FixedPrismaPg } from '../../src/db/pg-adapter';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const noArgs = { args: [], argTypes: [] };
const CATALOG_QUERY = `SELECT nspname, 'r'::"char" AS kind FROM pg_namespace WHERE nspname = 'public'`;

describe('FixedPrismaPg (src/db/pg-adapter.ts)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('pins the adapter version whose internals the fixes rely on', () => {
    const versionOf = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../node_modules', name, 'package.json'), 'utf8')).version;
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    for (const name of ['prisma', '@prisma/client', '@prisma/adapter-pg']) {
      expect(manifest.dependencies[name]).toBe('6.19.3');
      expect(versionOf(name)).toBe('6.19.3');
    }
  });

  it('shows that the unpatched adapter still rejects name/"char" columns (remove the fix when this fails)', async () => {
    const adapter = await new PrismaPg({ connectionString: db.url }).connect();
    try {
      await expect(adapter.queryRaw({ sql: CATALOG_QUERY, ...noArgs })).rejects.toMatchObject({ cause: { kind: 'UnsupportedNativeDataType' } });
    } finally {
      await adapter.dispose();
    }
  });

  it('reads PostgreSQL name and "char" catalog columns as text', async () => {
    const adapter = await new FixedPrismaPg(db.url).connect();
    try {
      const result = await adapter.queryRaw({ sql: CATALOG_QUERY, ...noArgs });
      expect(result.rows).toEqual([['public', 'r']]);
    } finally {
      await adapter.dispose();
    }
  });

  it('reads them as text inside transactions and through PrismaClient too', async () => {
    const pool = createPool(db.url);
    const prisma = new PrismaClient({ adapter: new FixedPrismaPg(pool) });
    try {
      const rows = await prisma.$transaction((tx) => tx.$queryRawUnsafe<{ nspname: string; kind: string }[]>(CATALOG_QUERY));
      expect(rows).toEqual([{ nspname: 'public', kind: 'r' }]);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('runs a migration script whole: semicolons in literals and $$ bodies survive', async () => {
    const script = `
      CREATE TABLE script_probe (id int PRIMARY KEY, note text NOT NULL DEFAULT 'a;b');
      CREATE FUNCTION script_probe_note(n int) RETURNS text LANGUAGE plpgsql AS $$
        BEGIN
          RETURN 'x;' || n::text || ';y';
        END;
      $$;
      INSERT INTO script_probe (id) VALUES (1);`;
    const adapter = await new FixedPrismaPg(db.url).connect();
    try {
      await adapter.executeScript(script);
    } finally {
      await adapter.dispose();
    }
    expect(await db.query('SELECT note, script_probe_note(7) AS fn FROM script_probe')).toEqual([{ note: 'a;b', fn: 'x;7;y' }]);
  });

  it('runs a script as one transaction: a failing statement leaves nothing behind', async () => {
    const adapter = await new FixedPrismaPg(db.url).connect();
    try {
      await expect(adapter.executeScript(`CREATE TABLE half_done (id int); SELECT no_such_column FROM half_done;`)).rejects.toBeDefined();
    } finally {
      await adapter.dispose();
    }
    expect(await db.query(`SELECT to_regclass('half_done') AS present`)).toEqual([{ present: null }]);
  });

  it('gives migrate dev a shadow database that is a different database, dropped afterwards', async () => {
    const factory = new FixedPrismaPg(db.url);
    const shadow = await factory.connectToShadowDb();
    const { rows } = await shadow.queryRaw({ sql: 'SELECT current_database() AS name', ...noArgs });
    const shadowName = rows[0]?.[0] as string;
    expect(shadowName).toMatch(/^prisma_migrate_shadow_db_/);
    expect(shadowName).not.toBe(db.name);
    await shadow.dispose();
    expect(await db.query('SELECT datname FROM pg_database WHERE datname = $1', [shadowName])).toEqual([]);
  });
});
