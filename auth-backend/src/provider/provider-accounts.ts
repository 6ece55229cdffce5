/**
 * The provider's accounts are the service's users: `sub` is the user's id (the same as /auth/me's
 * user.id); `profile` gives `name`, `email` gives `email` and `email_verified`. A disabled or
 * deleted user has no account, so nothing more is issued for it (refresh, userinfo, SSO).
 */
import type { UsersTable } from '../tables/users';
import { inLibraryRealm, type OidcProvider } from './provider-library';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Claims by scope (oidc-provider's `claims` option): what each scope lets a client read. The ID
 * token's own claims (auth_time, amr: the sign-in's methods, as in the JSON API) come with openid;
 * `sid` is set on every ID token (provider-host.ts).
 */
export const CLAIMS_BY_SCOPE = { openid: ['sub', 'auth_time', 'amr'], profile: ['name'], email: ['email', 'email_verified'] } as const;

export function findAccount(users: UsersTable): OidcProvider.FindAccount {
  return async (_ctx, sub) => {
    if (!UUID.test(sub)) return undefined;
    const user = await users.findAccount(sub);
    if (!user || user.disabledAt) return undefined;
    return {
      accountId: user.id,
      // oidc-provider keeps only the claims the granted scopes and the claims parameter allow.
      claims: () => inLibraryRealm({ sub: user.id, name: user.name ?? undefined, email: user.email, email_verified: user.emailVerifiedAt !== null }),
    };
  };
}
