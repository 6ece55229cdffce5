/**
 * Table oidc_state: sign-ins started at an OpenID Connect provider. The `state` value sent to the
 * provider is opaque (crypto/opaque-token.ts) and stored only as a hash; a state is single use,
 * expires, and is bound to the browser that started it: only the hash of that browser's binding
 * cookie is stored, and a state is consumed only together with the cookie's value.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';
import type { Queryable } from '../db/transaction';
import { Table } from './table';

export interface StartedSignIn {
  provider: string;
  nonce: string;
  redirectTo: string;
}

export class OidcStatesTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** Stores a new sign-in; returns its opaque `state` value. */
  async create(signIn: StartedSignIn & { binding: string; ttlSeconds: number }): Promise<string> {
    const { token, hash } = newOpaqueToken();
    const now = this.clock();
    await this.db.query(
      `INSERT INTO oidc_state (id, "stateHash", provider, "bindingHash", nonce, "redirectTo", "createdAt", "expiresAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        randomUUID(),
        hash,
        signIn.provider,
        hashOpaqueToken(signIn.binding),
        signIn.nonce,
        signIn.redirectTo,
        now,
        new Date(now.getTime() + signIn.ttlSeconds * 1000),
      ],
    );
    // Expired states are worth nothing: each new one clears a few (no sweeper needed).
    await this.db.query(`DELETE FROM oidc_state WHERE id IN (SELECT id FROM oidc_state WHERE "expiresAt" < $1 LIMIT 100)`, [now]);
    return token;
  }

  /**
   * Spends the state of `provider` presented with the browser's binding value, in one statement:
   * undefined when it is unknown, of another provider or browser, spent or expired (nothing is
   * spent then).
   */
  async consume(provider: string, state: string, binding: string): Promise<StartedSignIn | undefined> {
    const { rows } = await this.db.query<StartedSignIn>(
      `UPDATE oidc_state SET "usedAt" = $4
        WHERE "stateHash" = $1 AND provider = $2 AND "bindingHash" = $3 AND "usedAt" IS NULL AND "expiresAt" > $4
        RETURNING provider, nonce, "redirectTo"`,
      [hashOpaqueToken(state), provider, hashOpaqueToken(binding), this.clock()],
    );
    return rows[0];
  }
}
