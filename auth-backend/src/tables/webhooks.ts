/**
 * Table webhook: the endpoints that receive signed webhooks (webhooks/). The signing secrets are
 * stored sealed (crypto/key-encryption.ts, bound to the row's id), never in the clear; after a
 * rotation the previous one keeps signing beside the new one until `previousSecretUntil`.
 */
import type { Cte, Fragment } from '../db/statement';
import { Table } from './table';

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

export interface NewWebhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  sealedSecret: string;
  now: Date;
}

export interface WebhookChanges {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string | null;
}

export interface WebhookSecrets {
  sealedSecret: string;
  sealedPreviousSecret: string | null;
  previousSecretUntil: Date | null;
}

const COLUMNS = `id, url, events, description, enabled, "disabledReason", "createdAt"`;

export class WebhooksTable extends Table {
  async create(webhook: NewWebhook): Promise<WebhookRow> {
    const { rows } = await this.db.query<WebhookRow>(
      `INSERT INTO webhook (id, url, events, description, "sealedSecret", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${COLUMNS}`,
      [webhook.id, webhook.url, webhook.events, webhook.description, webhook.sealedSecret, webhook.now],
    );
    return rows[0]!;
  }

  /** Every endpoint, newest first (an install has a handful). */
  async list(): Promise<WebhookRow[]> {
    const { rows } = await this.db.query<WebhookRow>(`SELECT ${COLUMNS} FROM webhook ORDER BY "createdAt" DESC, id DESC LIMIT 1000`);
    return rows;
  }

  async find(id: string): Promise<WebhookRow | null> {
    const { rows } = await this.db.query<WebhookRow>(`SELECT ${COLUMNS} FROM webhook WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Applies the changes; enabling again clears the reason and the failure streak. */
  async update(id: string, changes: WebhookChanges, now: Date): Promise<WebhookRow | null> {
    const { rows } = await this.db.query<WebhookRow>(
      `UPDATE webhook SET url = COALESCE($2, url), events = COALESCE($3, events),
              description = CASE WHEN $4::boolean THEN $5 ELSE description END,
              enabled = COALESCE($6, enabled),
              "disabledReason" = CASE WHEN $6::boolean IS NULL THEN "disabledReason" ELSE NULL END,
              "failingSince" = CASE WHEN $6::boolean THEN NULL ELSE "failingSince" END,
              "updatedAt" = $7
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, changes.url ?? null, changes.events ?? null, changes.description !== undefined, changes.description ?? null, changes.enabled ?? null, now],
    );
    return rows[0] ?? null;
  }

  /** Deletes the endpoint and, by cascade, every delivery of it. */
  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM webhook WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  /** The new secret signs from now on; the current one becomes the previous, signing too until `previousUntil`. */
  async rotateSecret(id: string, sealedSecret: string, previousUntil: Date, now: Date): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE webhook SET "sealedPreviousSecret" = "sealedSecret", "sealedSecret" = $2, "previousSecretUntil" = $3, "updatedAt" = $4 WHERE id = $1`,
      [id, sealedSecret, previousUntil, now],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Successes end the failure streaks of `ids`, in the statement that records the deliveries (no write when there was none). */
  successRecorded(ids: readonly string[]): Fragment {
    return (statement): Cte[] => [
      {
        name: 'webhook_streak_ended',
        body: `UPDATE webhook SET "failingSince" = NULL WHERE id = ANY (${statement.bind(ids)}::uuid[]) AND "failingSince" IS NOT NULL`,
      },
    ];
  }

  /** A failed attempt: starts the failure streak if none runs; whether the streak is now `disableAfterSeconds` old. */
  async failureRecorded(id: string, now: Date, disableAfterSeconds: number): Promise<boolean> {
    const { rows } = await this.db.query<{ overdue: boolean }>(
      `UPDATE webhook SET "failingSince" = COALESCE("failingSince", $2) WHERE id = $1
       RETURNING "failingSince" <= $2::timestamptz - make_interval(secs => $3::float8) AS overdue`,
      [id, now, disableAfterSeconds],
    );
    return rows[0]?.overdue === true;
  }

  /** Disables an enabled endpoint with its reason; false when it was disabled already (or is gone). */
  async disable(id: string, reason: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE webhook SET enabled = false, "disabledReason" = $2, "updatedAt" = $3 WHERE id = $1 AND enabled`, [
      id,
      reason,
      now,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** Every sealed secret (the operators' re-seal, ops/reseal-secrets.ts). */
  async listSealed(): Promise<Array<{ id: string; sealedSecret: string; sealedPreviousSecret: string | null }>> {
    const { rows } = await this.db.query<{ id: string; sealedSecret: string; sealedPreviousSecret: string | null }>(
      `SELECT id, "sealedSecret", "sealedPreviousSecret" FROM webhook ORDER BY id`,
    );
    return rows;
  }

  /** Replaces the sealed secrets of `id` if they are still `was` (a rotation meanwhile wins); whether it did. */
  async replaceSealedSecrets(
    id: string,
    was: { sealedSecret: string; sealedPreviousSecret: string | null },
    now: { sealedSecret: string; sealedPreviousSecret: string | null },
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE webhook SET "sealedSecret" = $4, "sealedPreviousSecret" = $5
        WHERE id = $1 AND "sealedSecret" = $2 AND "sealedPreviousSecret" IS NOT DISTINCT FROM $3`,
      [id, was.sealedSecret, was.sealedPreviousSecret, now.sealedSecret, now.sealedPreviousSecret],
    );
    return (rowCount ?? 0) > 0;
  }
}
