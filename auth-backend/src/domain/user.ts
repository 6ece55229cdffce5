/**
 * The user as the service reasons about it: what tables/users.ts reads out of a row, and what
 * users/user-body.ts turns into the API's `User`. Never a password hash.
 */
export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: Date;
  /** null until the user proves control of `email` (API: `emailVerified`). */
  emailVerifiedAt: Date | null;
  /** Whether the user has an active second factor (a sign-in then asks for it). */
  mfaEnabled: boolean;
}

/** A user with the stored password hash: only for checking or replacing that password. */
export interface UserWithHash extends User {
  /** null: the account has no password (made by an OpenID Connect provider; the reset flow can set one). */
  passwordHash: string | null;
  /** Set while an administrator has disabled the account. */
  disabledAt: Date | null;
}

/** An account as a sign-in door read it in this request: who, and whether it may sign in at all. */
export interface Account extends User {
  disabledAt: Date | null;
}

export type Role = 'user' | 'admin';

/** What the admin API sees of a user (the API's AdminUser). */
export interface AdminUser extends User {
  role: Role;
  disabledAt: Date | null;
  lastSignInAt: Date | null;
  /** Provider ids of the account's external identities (user_identity), oldest first. */
  identities: string[];
  /** How many passkeys the account has. */
  passkeys: number;
}

/**
 * RFC 8176 authentication method references: password, one-time password, multiple factors (a
 * recovery code, or a user-verified passkey), external provider, proof of a hardware-bound key (a passkey).
 */
export type AuthMethod = 'pwd' | 'otp' | 'mfa' | 'ext' | 'hwk';

/** Whether `amr` includes a second factor ("Bearer, second factor" in the API): a TOTP code, a recovery code or a user-verified passkey. */
export const hasSecondFactor = (amr: readonly AuthMethod[]): boolean => amr.includes('otp') || amr.includes('mfa');

/**
 * "Bearer (second factor when the account has one)": the account has an active second factor
 * (TOTP; a passkey is a way in of its own, not a second factor) and this session did not pass one.
 */
export const lacksOwnSecondFactor = (auth: Pick<Authenticated, 'user' | 'amr'>): boolean => auth.user.mfaEnabled && !hasSecondFactor(auth.amr);

/** The caller behind a live session's access token. */
export interface Authenticated {
  user: User;
  sessionId: string;
  /** How the session's sign-in was made (the token's `amr`). */
  amr: AuthMethod[];
}
