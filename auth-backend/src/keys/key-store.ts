/**
 * The signing_key table. Replicas agree on the signing key through it: each one re-reads it
 * (key-ring.ts), and every change (first key, rotation, revocation) is made under one
 * transaction-level advisory lock, so two replicas starting together create one key, not two.
 */
import type pg from 'pg';
import type { JsonWebKey } from 'node:crypto';
import type { KeyRow } from './key-schedule';
import type { KeyEncryption } from '../crypto/key-encryption';
import { generateSigningKey, type AsymmetricAlgorithm } from './signing-key';
import { withTransaction } from '../db/transaction';

/** pg_advisory_xact_lock key of changes to signing_key (distinct from the migration locks). */
export const SIGNING_KEY_LOCK = 4_242_011;

export interface StoredKey extends KeyRow {
  publicJwk: JsonWebKey;
  /** Sealed with KeyEncryption; only decrypted by a replica that may sign with it. */
  sealedPrivateKey: string;
  createdAt: Date;
}

interface Row {
  kid: string;
  algorithm: string;
  publicJwk: string;
  privateKey: string;
  createdAt: Date;
  activatesAt: Date;
  revokedAt: Date | null;
}

const toStored = (row: Row): StoredKey => ({
  kid: row.kid,
  algorithm: row.algorithm,
  publicJwk: JSON.parse(row.publicJwk) as JsonWebKey,
  sealedPrivateKey: row.privateKey,
  createdAt: row.createdAt,
  activatesAt: row.activatesAt,
  revokedAt: row.revokedAt,
});

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export class KeyStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly encryption: KeyEncryption,
  ) {}

  async list(client: Queryable = this.pool): Promise<StoredKey[]> {
    const { rows } = await client.query<Row>({
      name: 'signing-keys',
      text: `SELECT kid, algorithm, "publicJwk", "privateKey", "createdAt", "activatesAt", "revokedAt" FROM signing_key ORDER BY "activatesAt", kid`,
    });
    return rows.map(toStored);
  }

  /** Runs `work` in a transaction holding the signing-key lock; it sees the rows as they are now. */
  change<T>(work: (client: pg.PoolClient, keys: StoredKey[]) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK]);
      return work(client, await this.list(client));
    });
  }

  /** Generates a key pair and stores it, the private half sealed; it signs from `activatesAt`. */
  async insert(client: pg.PoolClient, algorithm: AsymmetricAlgorithm, activatesAt: Date, now: Date): Promise<StoredKey> {
    const key = generateSigningKey(algorithm);
    const sealed = this.encryption.encrypt(key.privateDer, key);
    key.privateDer.fill(0);
    const { rows } = await client.query<Row>(
      `INSERT INTO signing_key (kid, algorithm, "publicJwk", "privateKey", "createdAt", "activatesAt") VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING kid, algorithm, "publicJwk", "privateKey", "createdAt", "activatesAt", "revokedAt"`,
      [key.kid, algorithm, JSON.stringify(key.publicJwk), sealed, now, activatesAt],
    );
    return toStored(rows[0]!);
  }

  /** The private half sealed anew (another KEY_ENCRYPTION_KEY), only while it is still `from`. */
  async replaceSealedPrivateKey(client: pg.PoolClient, kid: string, from: string, to: string): Promise<boolean> {
    const { rowCount } = await client.query(`UPDATE signing_key SET "privateKey" = $3 WHERE kid = $1 AND "privateKey" = $2`, [kid, from, to]);
    return (rowCount ?? 0) > 0;
  }

  async revoke(client: pg.PoolClient, kid: string, now: Date): Promise<boolean> {
    const { rowCount } = await client.query(`UPDATE signing_key SET "revokedAt" = $2 WHERE kid = $1 AND "revokedAt" IS NULL`, [kid, now]);
    return (rowCount ?? 0) > 0;
  }
}
