/**
 * The console's cookies, each sealed (AES-GCM under a key derived from KEY_ENCRYPTION_KEY for this
 * purpose: crypto/key-encryption.ts), so the browser can neither read nor forge one:
 * - the console session: who signed in, the service session the sign-in opened, and its `amr`.
 *   It is only a pointer: every request checks that service session is still live and the user
 *   still an administrator (console-access.ts), so it never outlives the session it rides on;
 * - a sign-in in flight: state, nonce and PKCE verifier of the authorization request (10 minutes);
 * - a client secret to show once, on the page the browser is redirected to after creating the
 *   client or rotating its secret (never in a URL; bound to the console session; 5 minutes).
 * HttpOnly, SameSite=Lax, Path=/console, Secure when PUBLIC_URL is https.
 */
import type { Request, Response } from 'express';
import { Envelope, type KeyEncryptionKeys } from '../crypto/key-encryption';
import { readCookie } from '../http/cookies';
import type { AuthMethod } from '../domain/user';

export const CONSOLE_PATH = '/console';

export interface ConsoleSession {
  userId: string;
  /** The service session (table session) the provider sign-in opened. */
  sessionId: string;
  amr: AuthMethod[];
}

export interface SignInFlow {
  state: string;
  nonce: string;
  verifier: string;
  /** A console path to show after the sign-in. */
  returnTo: string;
}

const SESSION = 'console_session';
const FLOW = 'console_flow';
const SECRET = 'console_secret';

export class ConsoleCookies {
  private readonly envelope: Envelope;

  constructor(
    keys: KeyEncryptionKeys,
    private readonly secure: boolean,
  ) {
    this.envelope = new Envelope(keys, 'console-cookies/v1');
  }

  session(req: Request): ConsoleSession | undefined {
    const value = this.open<ConsoleSession>(req, SESSION, ['session']);
    return value && typeof value.userId === 'string' && typeof value.sessionId === 'string' && Array.isArray(value.amr) ? value : undefined;
  }

  setSession(res: Response, session: ConsoleSession): void {
    this.set(res, SESSION, this.seal(session, ['session']));
  }

  clearSession(res: Response): void {
    this.set(res, SESSION, '', 0);
  }

  flow(req: Request): SignInFlow | undefined {
    return this.open<SignInFlow>(req, FLOW, ['flow']);
  }

  setFlow(res: Response, flow: SignInFlow): void {
    this.set(res, FLOW, this.seal(flow, ['flow']), 600);
  }

  clearFlow(res: Response): void {
    this.set(res, FLOW, '', 0);
  }

  /** The secret waiting to be shown for `subject` (an app's id) in this console session. */
  secret(req: Request, session: ConsoleSession, subject: string): string | undefined {
    return this.open<{ secret: string }>(req, SECRET, ['secret', session.sessionId, subject])?.secret;
  }

  setSecret(res: Response, session: ConsoleSession, subject: string, secret: string): void {
    this.set(res, SECRET, this.seal({ secret }, ['secret', session.sessionId, subject]), 300);
  }

  clearSecret(res: Response): void {
    this.set(res, SECRET, '', 0);
  }

  private seal(value: object, context: string[]): string {
    return this.envelope.seal(Buffer.from(JSON.stringify(value), 'utf8'), ['console', ...context]);
  }

  private open<T>(req: Request, name: string, context: string[]): T | undefined {
    const sealed = readCookie(req, name);
    if (!sealed) return undefined;
    try {
      return JSON.parse(this.envelope.open(sealed, ['console', ...context]).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  private set(res: Response, name: string, value: string, maxAgeSeconds?: number): void {
    res.append(
      'Set-Cookie',
      [
        `${name}=${value}`,
        `Path=${CONSOLE_PATH}`,
        'HttpOnly',
        'SameSite=Lax',
        ...(this.secure ? ['Secure'] : []),
        ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
      ].join('; '),
    );
  }
}
