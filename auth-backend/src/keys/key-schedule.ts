/**
 * Which stored key signs and which keys verify at a given instant. Pure, so that every replica
 * reaches the same answer from the same rows: activation and retirement are instants stored in
 * (or derived from) the table, not events a replica has to witness.
 *
 * - A key is published (in the JWKS, verifying) from the moment it is stored, and signs from
 *   its `activatesAt` on; the newest active key signs.
 * - A key superseded by a newer active key stops verifying `ttl + margin` after its successor
 *   activated: no token it signed can still be unexpired then (it signed nothing after that
 *   instant, and each token lives `ttl`). The margin covers a replica that is a refresh late.
 * - A revoked key neither signs nor verifies. It still counts as the successor of the keys before
 *   it if it had taken over signing before it was revoked (so revoking a key never brings an
 *   already retired one back); revoked before it activated, it is as if it had never existed.
 */
export interface KeyRow {
  kid: string;
  algorithm: string;
  activatesAt: Date;
  revokedAt: Date | null;
}

export interface KeySchedule<Row extends KeyRow> {
  signing: Row | undefined;
  /** Published and accepted on verify, the signing key included. */
  verifying: Row[];
  /** The next instant at which the answer changes by itself (an activation or a retirement). */
  nextChangeAt: Date | undefined;
}

const tookOver = (row: KeyRow) => !row.revokedAt || row.revokedAt > row.activatesAt;

export function scheduleKeys<Row extends KeyRow>(rows: readonly Row[], now: Date, retention: { ttlSeconds: number; marginSeconds: number }): KeySchedule<Row> {
  const sorted = [...rows].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime() || a.kid.localeCompare(b.kid));
  const keep = (retention.ttlSeconds + retention.marginSeconds) * 1000;
  const at = now.getTime();
  const verifying: Row[] = [];
  let signing: Row | undefined;
  const changes: number[] = [];
  sorted.forEach((row, index) => {
    if (row.revokedAt) return;
    const successor = sorted.slice(index + 1).find(tookOver);
    const retiresAt = successor ? successor.activatesAt.getTime() + keep : Infinity;
    if (retiresAt <= at) return;
    verifying.push(row);
    if (row.activatesAt.getTime() <= at) signing = row;
    else changes.push(row.activatesAt.getTime());
    if (Number.isFinite(retiresAt)) changes.push(retiresAt);
  });
  return { signing, verifying, nextChangeAt: changes.length > 0 ? new Date(Math.min(...changes)) : undefined };
}
