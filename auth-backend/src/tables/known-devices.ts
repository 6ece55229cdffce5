/**
 * Table known_device: the devices (tables stores "<browser> on <system>", notifications/device.ts)
 * each account signed in from, and when last. Written by the sign-in's own statement (an audit
 * reaction, notifications/security-notices.ts): it reads the device's last use before the
 * statement and records this one, so the notice can be conditioned on the prior value.
 */
import type { Cte, Statement } from '../db/statement';
import { Table } from './table';

/** The CTE holding the device's last use before this statement (no row: never seen). */
export const DEVICE_PRIOR = 'known_device_prior';

export class KnownDevicesTable extends Table {
  /** CTEs that record `device` as used by `userId` at `at` (the previous use stays readable in DEVICE_PRIOR). */
  seen(statement: Statement, userId: string, device: string, at: Date): Cte[] {
    const [user, label, when] = [userId, device, at].map((value) => statement.bind(value));
    return [
      { name: DEVICE_PRIOR, body: `SELECT "lastSeenAt" FROM known_device WHERE "userId" = ${user}::uuid AND device = ${label}::text` },
      {
        name: 'known_device_seen',
        body: `INSERT INTO known_device ("userId", device, "lastSeenAt") VALUES (${user}::uuid, ${label}::text, ${when}::timestamptz)
               ON CONFLICT ("userId", device) DO UPDATE SET "lastSeenAt" = GREATEST(known_device."lastSeenAt", EXCLUDED."lastSeenAt")`,
      },
    ];
  }

  /** An SQL condition: the device was not used since `since` (a placeholder of the same statement). */
  unseenSince(since: string): string {
    return `NOT EXISTS (SELECT 1 FROM ${DEVICE_PRIOR} WHERE "lastSeenAt" > ${since}::timestamptz)`;
  }
}
