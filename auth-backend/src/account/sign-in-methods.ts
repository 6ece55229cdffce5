/**
 * How many ways into an account there are: its password, each provider identity, each passkey (a
 * second factor is not a way in: it only follows one). The one rule behind every "last sign-in
 * method" refusal (DELETE /auth/identities/{id}, DELETE /auth/passkeys/{id}): a way in may go only
 * while another remains. Counted under the user's row lock, so two removals at once cannot take
 * the last two ways together.
 */
import type { Transaction } from '../db/transaction';
import type { UsersTable } from '../tables/users';
import type { IdentitiesTable } from '../tables/identities';
import type { PasskeysTable } from '../tables/passkeys';

export interface WaysIn {
  password: boolean;
  identities: number;
  passkeys: number;
}

export const countWaysIn = (ways: WaysIn): number => (ways.password ? 1 : 0) + ways.identities + ways.passkeys;

/** Whether one of `ways` may be removed. */
export const mayRemoveOne = (ways: WaysIn): boolean => countWaysIn(ways) > 1;

export class SignInMethods {
  constructor(private readonly deps: { users: UsersTable; identities: IdentitiesTable; passkeys: PasskeysTable }) {}

  /** The account's ways in, its row locked until `tx` ends; undefined when it is gone. */
  async lock(tx: Transaction, userId: string): Promise<WaysIn | undefined> {
    const { users, identities, passkeys } = this.deps;
    const user = await users.in(tx).lockById(userId);
    if (!user) return undefined;
    return {
      password: user.passwordHash !== null,
      identities: (await identities.in(tx).listOfUser(userId)).length,
      passkeys: await passkeys.in(tx).countOfUser(userId),
    };
  }
}
