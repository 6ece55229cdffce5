/**
 * Table passkey: users' WebAuthn credentials, every statement on them. The credential id and
 * public key are sealed (passkeys/credential-seal.ts) and the credential id is found by its hash
 * only, so the table holds neither in the clear; rows are named by the service's own `id`
 * (what URLs and log lines carry).
 *
 * The signature counter only ever increases, and that rule is one conditional UPDATE (recordUse):
 * two replicas checking two assertions at once cannot both move it to the same value.
 */
import type { Clock } from '../clock';
import type { Queryable } from '../db/transaction';
import { Statement, withFragments, type Fragment } from '../db/statement';
import { namedFor } from './statement-names';
import type { Account } from '../domain/user';
import { Table } from './table';
import { USER_COLUMNS } from './users';

export type DeviceType = 'singleDevice' | 'multiDevice';

/**
 * The counter rule, as recordUse and recordingUse's SQL say it: a use is accepted when the counter
 * increased, or when it and the stored one are both 0 (an authenticator without a counter). For
 * telling a copy of a credential apart before a statement whose outcome cannot say why.
 */
export const counterAdvances = (stored: number, next: number): boolean => stored < next || (stored === 0 && next === 0);
const ADVANCES = (next: string) => `(counter < ${next} OR (counter = 0 AND ${next} = 0))`;

export interface PasskeyRow {
  id: string;
  userId: string;
  /** The credential id and COSE public key, sealed and bound to (id, userId). */
  sealedCredential: string;
  counter: number;
  transports: string[];
  deviceType: DeviceType;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NewPasskey {
  id: string;
  userId: string;
  credentialIdHash: string;
  sealedCredential: string;
  counter: number;
  transports: string[];
  deviceType: DeviceType;
  backedUp: boolean;
  name: string;
}

// The counter is a uint32 (BIGINT column): as a JavaScript number, exactly.
export const PASSKEY_COLUMNS = `id, "userId", "sealedCredential", counter::float8 AS counter, transports, "deviceType", "backedUp", name, "createdAt", "lastUsedAt"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PasskeysTable extends Table {
  constructor(
    db: Queryable,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  /** Stores a new passkey; undefined when its credential is registered already (to anyone). */
  async add(passkey: NewPasskey): Promise<PasskeyRow | undefined> {
    const { rows } = await this.db.query<PasskeyRow>(
      `INSERT INTO passkey (id, "userId", "credentialIdHash", "sealedCredential", counter, transports, "deviceType", "backedUp", name, "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ("credentialIdHash") DO NOTHING RETURNING ${PASSKEY_COLUMNS}`,
      [
        passkey.id,
        passkey.userId,
        passkey.credentialIdHash,
        passkey.sealedCredential,
        passkey.counter,
        passkey.transports,
        passkey.deviceType,
        passkey.backedUp,
        passkey.name,
        this.clock(),
      ],
    );
    return rows[0];
  }

  /** The passkey of an assertion, by the hash of its credential id. */
  async findByCredential(credentialIdHash: string): Promise<PasskeyRow | undefined> {
    const { rows } = await this.db.query<PasskeyRow>({
      name: 'passkey-by-credential',
      text: `SELECT ${PASSKEY_COLUMNS} FROM passkey WHERE "credentialIdHash" = $1`,
      values: [credentialIdHash],
    });
    return rows[0];
  }

  /** The user's passkeys, oldest first. */
  async listOfUser(userId: string): Promise<PasskeyRow[]> {
    const { rows } = await this.db.query<PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM passkey WHERE "userId" = $1 ORDER BY "createdAt", id`, [userId]);
    return rows;
  }

  async countOfUser(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>({
      name: 'passkey-count-of-user',
      text: `SELECT count(*)::int AS count FROM passkey WHERE "userId" = $1`,
      values: [userId],
    });
    return rows[0]?.count ?? 0;
  }

  /** Renames one passkey of the user; undefined when it is not one (unknown, another user's, malformed id). */
  async rename(userId: string, id: string, name: string): Promise<PasskeyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.db.query<PasskeyRow>(`UPDATE passkey SET name = $3 WHERE id = $1 AND "userId" = $2 RETURNING ${PASSKEY_COLUMNS}`, [
      id,
      userId,
      name,
    ]);
    return rows[0];
  }

  /** Removes one passkey of the user; what it was, or undefined when it is not one. */
  async remove(userId: string, id: string): Promise<PasskeyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.db.query<PasskeyRow>(`DELETE FROM passkey WHERE id = $1 AND "userId" = $2 RETURNING ${PASSKEY_COLUMNS}`, [id, userId]);
    return rows[0];
  }

  /** Removes every passkey of the user; returns how many. */
  async removeOfUser(userId: string): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM passkey WHERE "userId" = $1`, [userId]);
    return rowCount ?? 0;
  }

  /**
   * A verified sign-in assertion, in one statement (one round trip on the sign-in's path): `gate`
   * (fragments defining CTE `gate.name`, which has a row when the challenge the assertion signed
   * was spent, tables/passkey-challenges.ts spendingForSignIn) runs first; then, only if it has a
   * row, the passkey's counter, backup state and time of use are recorded, if and only if the
   * counter increased, or both it and the stored one are 0 (an authenticator without a counter);
   * then the passkey's account is read as a sign-in door hands it on. A counter that went
   * backwards or stood still means a copy of the credential: no account, and `storedCounter` says
   * what it was; a passkey that is gone has no `storedCounter`.
   */
  async recordUse(
    id: string,
    counter: number,
    backedUp: boolean,
    gate: { fragment: Fragment; name: string },
  ): Promise<{ spent: boolean; storedCounter: number | undefined; account: Account | undefined }> {
    const statement = new Statement();
    const used = this.recordingUse(id, counter, backedUp, { gate: gate.name, name: 'used' });
    const text = withFragments(
      statement,
      [used],
      gate.fragment(statement),
      `SELECT EXISTS (SELECT 1 FROM ${gate.name}) AS spent, (SELECT counter::float8 FROM passkey WHERE id = ${statement.bind(id)}) AS "storedCounter", account.*
         FROM (SELECT 1) AS one LEFT JOIN (SELECT ${USER_COLUMNS}, "disabledAt" FROM "user" WHERE id = (SELECT "userId" FROM used)) AS account ON true`,
    );
    const { rows } = await this.db.query<Account & { spent: boolean; storedCounter: number | null }>({ name: namedFor(text), text, values: statement.values });
    const { spent, storedCounter, ...account } = rows[0]!;
    return { spent, storedCounter: storedCounter ?? undefined, account: account.id ? account : undefined };
  }

  /**
   * The use of a verified assertion as a fragment, gated on `gate` (a CTE that has a row only when
   * the challenge it answers was spent), under the counter rule: recordUse's, a second factor's
   * answer (tables/mfa-challenges.ts answer) and the one-statement sign-in's. Defines `name`, with
   * the passkey's id and user when the use was recorded.
   */
  recordingUse(id: string, counter: number, backedUp: boolean, names: { gate: string; name: string }): Fragment {
    return (statement) => {
      const next = statement.bind(counter);
      return [
        {
          name: names.name,
          body: `UPDATE passkey SET counter = ${next}, "backedUp" = ${statement.bind(backedUp)}, "lastUsedAt" = ${statement.bind(this.clock())}
                  WHERE id = ${statement.bind(id)} AND ${ADVANCES(next)} AND EXISTS (SELECT 1 FROM ${names.gate}) RETURNING id, "userId"`,
        },
      ];
    };
  }

  /** Every passkey's sealed credential, oldest first: what `npm run secrets:reseal` goes through. */
  async listSealed(): Promise<Array<Pick<PasskeyRow, 'id' | 'userId' | 'sealedCredential'>>> {
    const { rows } = await this.db.query<PasskeyRow>(`SELECT id, "userId", "sealedCredential" FROM passkey ORDER BY "createdAt", id`);
    return rows;
  }

  /** The credential sealed anew (another KEY_ENCRYPTION_KEY), only while it is still `from`. */
  async replaceSealedCredential(id: string, from: string, to: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE passkey SET "sealedCredential" = $3 WHERE id = $1 AND "sealedCredential" = $2`, [id, from, to]);
    return (rowCount ?? 0) > 0;
  }
}
