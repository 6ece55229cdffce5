/**
 * The one place where we work around three defects of @prisma/adapter-pg 6.19.x when it
 * drives Prisma's JavaScript schema engine (see docs/decisions/0002-adapter-pg-fixes.md):
 *
 * 1. Catalog columns of type `name` (OID 19) and `"char"` (OID 18) make the adapter throw
 *    "Column type 'name' could not be deserialized" (prisma/prisma#27403). pg already parses
 *    both as strings, so we relabel such result columns as `text` (OID 25) before the adapter
 *    maps column types. Done in a pg `Client` subclass, handed to the pool through pg's
 *    documented `Client` option, so pooled, transactional and shadow-database
 *    connections all get it.
 * 2. `executeScript` splits a migration on every `;`, which breaks string literals and `$$`
 *    bodies and leaves the migration half-applied. We send the whole script in one
 *    simple-query round trip instead: PostgreSQL runs a multi-statement simple query as one
 *    implicit transaction, exactly as psql would.
 * 3. `connectToShadowDb` (used by `prisma migrate dev`) connects with `{ ...config, database }`;
 *    given a `connectionString`, pg lets the string win over `database`, so the "shadow"
 *    connection reached the real database. We hand the adapter discrete connection fields,
 *    and drop the shadow database only after closing its pool (the adapter drops it first,
 *    which fails with "being accessed by other users" and leaks the database).
 *
 * The fixes depend on adapter internals; versions are pinned exactly and
 * test/db/pg-adapter.test.ts fails if an upgrade changes what they rely on.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { connectionConfig } from './connection';

const TEXT_OID = 25;
const OIDS_READ_AS_TEXT = new Set([18 /* "char" */, 19 /* name */]);

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

function relabelCatalogColumns<T>(result: T): T {
  const results = Array.isArray(result) ? result : [result];
  for (const one of results as QueryResultLike[]) {
    for (const field of one?.fields ?? []) {
      if (OIDS_READ_AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** Extra pool option read by CatalogTextClient (pg passes pool options to each client). */
export interface CheckClientOption {
  /**
   * Sets PostgreSQL's client_connection_check_interval (ms, PostgreSQL 14+; ignored before) on
   * each connection, so a migration whose process was killed is aborted, and rolled back, within
   * that time instead of running on to its end. Used by the Prisma CLI (prisma.config.ts).
   */
  checkClientConnectionMs?: number;
}

/** A pg Client whose results never carry `name`/`"char"` column types. */
export class CatalogTextClient extends pg.Client {
  private readonly checkClientConnectionMs: number | undefined;

  constructor(config?: string | (pg.ClientConfig & CheckClientOption)) {
    super(config);
    this.checkClientConnectionMs = typeof config === 'object' ? config.checkClientConnectionMs : undefined;
  }

  // pg-pool connects with a callback, other callers with a promise: serve both.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: (error: Error) => void): any {
    const ready = super.connect().then(async () => {
      if (this.checkClientConnectionMs) {
        await super.query(`SET client_connection_check_interval = ${Math.floor(this.checkClientConnectionMs)}`).catch(() => undefined);
      }
    });
    if (!callback) return ready;
    ready.then(
      () => (callback as (error?: Error) => void)(),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  // pg's query() has many overloads; we only post-process whatever result comes back.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (err: unknown, res: unknown) => void;
      args[last] = (err: unknown, res: unknown) => callback(err, err ? res : relabelCatalogColumns(res));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    if (returned instanceof Promise) return returned.then(relabelCatalogColumns);
    return returned;
  }
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;
type ScriptRunner = { executeScript(script: string): Promise<void> };

function runScriptsWhole(adapter: Adapter): Adapter {
  const internals = adapter as unknown as { onError?: (error: unknown) => never };
  if (typeof internals.onError !== 'function' || typeof adapter.underlyingDriver !== 'function') {
    throw new Error('@prisma/adapter-pg internals changed: re-check src/db/pg-adapter.ts before upgrading');
  }
  const pool = adapter.underlyingDriver() as pg.Pool;
  (adapter as unknown as ScriptRunner).executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (error) {
      internals.onError!(error);
    }
  };
  return adapter;
}

/** A pg pool for `connectionString` whose connections carry fix 1; share it with other pg users. */
type PoolOptions = Omit<pg.PoolConfig, 'connectionString' | 'Client'> & CheckClientOption;

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  return new pg.Pool(poolConfig(connectionString, options));
}

export function poolConfig(connectionString: string, options: PoolOptions = {}): pg.PoolConfig {
  // Discrete fields, not `connectionString`: see fix 3 above.
  return { ...options, ...connectionConfig(connectionString), Client: CatalogTextClient };
}

/** Prisma's pg adapter factory with the fixes applied; use it for the CLI and the client. */
export class FixedPrismaPg extends PrismaPg {
  private readonly connection: pg.PoolConfig;

  /** From a connection string (the adapter owns its pool) or a pool made by createPool (the caller owns it). */
  constructor(source: string | pg.Pool, poolOptions: PoolOptions = {}) {
    const connection = typeof source === 'string' ? poolConfig(source, poolOptions) : source.options;
    if (connection.Client !== CatalogTextClient) throw new Error('FixedPrismaPg needs a pool made by createPool()');
    super(typeof source === 'string' ? connection : source);
    this.connection = connection;
  }

  override async connect(): Promise<Adapter> {
    return runScriptsWhole(await super.connect());
  }

  /** A throw-away database for `prisma migrate dev`, dropped (forcibly) after its pool is closed. */
  override async connectToShadowDb(): Promise<Adapter> {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadowFactory = new PrismaPg({ ...this.connection, database });
    const shadow = runScriptsWhole(await shadowFactory.connect());
    const closeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      try {
        await closeShadowPool();
        await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await main.dispose();
      }
    };
    return shadow;
  }
}
