/**
 * The per-replica client cache (src/provider/client-cache.ts) against a real database: a change
 * committed through the table module reaches another replica's cache by NOTIFY; nothing is served
 * from memory while the listener is not listening; no entry outlives CLIENT_CACHE_TTL_MS; a lookup
 * that raced a change keeps nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type Database } from '../../src/db/database';
import { CLIENT_CACHE_TTL_MS, ClientCache } from '../../src/provider/client-cache';
import { OAuthClientsTable, type OAuthClient } from '../../src/tables/oauth-clients';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { eventually } from '../support/test-smtp';

let database: TestDatabase;
let db: Database;
let table: OAuthClientsTable;
let now = Date.parse('2026-12-07T10:00:00Z');
const clock = () => new Date(now);
const caches: Array<ClientCache<OAuthClient>> = [];

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true });
  db = createDatabase(database.url);
  table = new OAuthClientsTable(db.pool);
});
afterAll(async () => {
  for (const cache of caches) await cache.stop();
  await db?.close();
  await database?.drop();
});

/** A replica's cache, listening, with a loader that counts its reads of the table. */
async function replicaCache() {
  const cache = new ClientCache<OAuthClient>({ listenConnection: db.dedicatedClient, clock });
  caches.push(cache);
  cache.start();
  const reads = { count: 0 };
  const load = async (id: string) => {
    reads.count++;
    return (await table.find(id)) ?? undefined;
  };
  await eventually(async () => (await listeners()) >= caches.filter(Boolean).length);
  return { cache, reads, find: (id: string) => cache.find(id, load) };
}

async function listeners(): Promise<number> {
  const rows = await database.query<{ count: string }>(
    `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN "oauth_client_changed"%'`,
  );
  return Number(rows[0]!.count);
}

let serial = 0;
/** A client registered with plain SQL (no NOTIFY: the arrangement must not reach the caches as a change). */
async function newClient(): Promise<OAuthClient> {
  const id = `client-${++serial}-${Date.now()}`;
  await database.query(
    `INSERT INTO oauth_client (id, name, type, "redirectUris", "postLogoutRedirectUris", "grantTypes", resources, "firstParty", "secretHash", "createdAt", "updatedAt")
     VALUES ($1, 'Cached', 'confidential', '{https://app.example/callback}', '{}', '{authorization_code}', '{}', false, 'hash-one', now(), now())`,
    [id],
  );
  return (await table.find(id))!;
}

describe('the client cache of a replica', () => {
  it('reads a client once, then serves it from memory', async () => {
    const { find, reads } = await replicaCache();
    const client = await newClient();
    expect((await find(client.id))?.secretHash).toBe('hash-one');
    expect((await find(client.id))?.secretHash).toBe('hash-one');
    expect(reads.count).toBe(1);
    // An unknown id is read every time (nothing kept for it).
    expect(await find('no-such-client')).toBeUndefined();
    expect(await find('no-such-client')).toBeUndefined();
    expect(reads.count).toBe(3);
  });

  it("drops a client another replica changed, renamed, re-keyed or deleted, as the change's NOTIFY arrives", async () => {
    const one = await replicaCache();
    const other = await replicaCache();
    const client = await newClient();
    await one.find(client.id);
    await other.find(client.id);

    expect(await table.replaceSecret(client.id, 'hash-two')).toBe(true);
    const rotatedAt = performance.now();
    // Each replica's listener has its own connection: PostgreSQL orders nothing between the two deliveries.
    const rotatedIn = async (replica: typeof one) => (await replica.find(client.id))?.secretHash === 'hash-two';
    await eventually(async () => (await rotatedIn(other)) && (await rotatedIn(one)));
    expect(performance.now() - rotatedAt).toBeLessThan(1000);

    await table.update(client.id, { name: 'Renamed' });
    await eventually(async () => (await other.find(client.id))?.name === 'Renamed');

    expect(await table.delete(client.id)).toBe(true);
    const deletedAt = performance.now();
    await eventually(async () => (await other.find(client.id)) === undefined && (await one.find(client.id)) === undefined);
    expect(performance.now() - deletedAt).toBeLessThan(1000);
  });

  it('keeps nothing a change raced: a lookup that began before the NOTIFY and ended after it', async () => {
    const { cache } = await replicaCache();
    const client = await newClient();
    let reads = 0;
    // The load reads the row, then stalls until the change is committed and its NOTIFY has arrived.
    const stale = await cache.find(client.id, async (id) => {
      reads++;
      const row = (await table.find(id)) ?? undefined;
      await table.replaceSecret(id, 'hash-raced');
      await sleep(300);
      return row;
    });
    expect(stale?.secretHash).toBe('hash-one');
    const fresh = await cache.find(client.id, async (id) => (reads++, (await table.find(id)) ?? undefined));
    expect(fresh?.secretHash).toBe('hash-raced');
    expect(reads).toBe(2);
  });

  it('reads the table on every lookup while its listener is not listening, and starts empty when it listens again', async () => {
    const { find, reads } = await replicaCache();
    const client = await newClient();
    await find(client.id);
    const before = reads.count;
    // The listener's connection dies (as in a database restart or failover): notifications sent now are lost.
    await database.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    await eventually(async () => (await listeners()) === 0);
    await table.replaceSecret(client.id, 'hash-while-deaf');
    expect((await find(client.id))?.secretHash).toBe('hash-while-deaf');
    expect(reads.count).toBeGreaterThan(before);
    // Back (it reconnects after a couple of seconds): a lookup reads once, then serves from memory.
    await eventually(async () => (await listeners()) >= caches.length, 10_000);
    await find(client.id);
    const afterReconnect = reads.count;
    await find(client.id);
    expect(reads.count).toBe(afterReconnect);
  });

  it('keeps no entry longer than CLIENT_CACHE_TTL_MS, whatever the notifications said', async () => {
    const { find, reads } = await replicaCache();
    const client = await newClient();
    await find(client.id);
    now += CLIENT_CACHE_TTL_MS - 1;
    await find(client.id);
    expect(reads.count).toBe(1);
    now += 1;
    await find(client.id);
    expect(reads.count).toBe(2);
  });

  it('serves nothing from memory before it has started listening, nor after it stopped', async () => {
    const cache = new ClientCache<OAuthClient>({ listenConnection: db.dedicatedClient, clock });
    const client = await newClient();
    let reads = 0;
    const load = async (id: string) => (reads++, (await table.find(id)) ?? undefined);
    await cache.find(client.id, load);
    await cache.find(client.id, load);
    expect(reads).toBe(2);
    cache.start();
    await eventually(async () => (await listeners()) > caches.length);
    await cache.find(client.id, load);
    await cache.find(client.id, load);
    expect(reads).toBe(3);
    await cache.stop();
    await cache.find(client.id, load);
    expect(reads).toBe(4);
  });
});
