import request from 'supertest';
import type { Express } from 'express';
import type { TestApp } from './test-app';
import { registerUser } from './test-app';

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The claims of an access token (not verified: the test made it). */
export const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string; amr: string[] };

/** A registered user made administrator directly in the database (as users:set-role does). */
export async function registerAdmin(t: TestApp, overrides: Parameters<typeof registerUser>[1] = {}) {
  const admin = await registerUser(t.app, overrides);
  await t.database.query(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [admin.user.id]);
  return admin;
}

/** The types of the audit events about `userId`, oldest first. */
export async function eventTypesOf(t: TestApp, userId: string): Promise<string[]> {
  const rows = await t.database.query<{ type: string }>(`SELECT type FROM audit_event WHERE "userId" = $1 ORDER BY at, id`, [userId]);
  return rows.map((row) => row.type);
}

export const adminGet = (app: Express, path: string, token: string) => request(app).get(path).set(bearer(token));
