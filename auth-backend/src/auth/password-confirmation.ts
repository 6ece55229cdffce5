/**
 * "Prove it is you again" with the current password, behind a bearer token (POST /auth/password,
 * POST /auth/email/change, DELETE /auth/me): each check is one attempt on the account's login
 * throttle, so a stolen session cannot guess its way further than a login could (429 past it).
 */
import type { LoginThrottle } from '../throttle/login-throttle';
import { judged } from '../throttle/login-throttle';
import type { PasswordHashing } from '../passwords/password-normalization';

export class PasswordConfirmation {
  constructor(private readonly deps: { hasher: PasswordHashing; throttle: LoginThrottle }) {}

  /** Whether `password` is the account's current one; false too for an account without a password (the same work is done). */
  async confirms(account: { email: string; passwordHash: string | null }, password: string, signal?: AbortSignal): Promise<boolean> {
    const { hasher, throttle } = this.deps;
    return throttle.guard(account.email, async () => {
      const ok =
        account.passwordHash === null ? await hasher.verifyAgainstDummy(password, signal) : (await hasher.verify(password, account.passwordHash, signal)).ok;
      return judged(ok ? 'succeeded' : 'failed', ok);
    });
  }
}
