/**
 * The sign-in pipeline's second-factor step (sign-in/sign-in-pipeline.ts): an account with an
 * active second factor whose sign-in has not passed one gets a challenge (an mfaToken, which
 * remembers how the first factor was made) instead of a session. Passing it is
 * mfa-verification.ts's, which hands the sign-in back to the pipeline.
 */
import type { Account, AuthMethod } from '../domain/user';
import { hasSecondFactor } from '../domain/user';
import type { MfaChallengesTable } from '../tables/mfa-challenges';
import type { SecondFactorMethod, SecondFactorRequired, SecondFactorStep } from '../sign-in/sign-in-attempt';

export interface SecondFactorStepDeps {
  mfaChallenges: MfaChallengesTable;
  /** More ways the account may pass the second factor than its TOTP factor and recovery codes (v4: its passkeys). */
  extraMethods?: (userId: string) => Promise<SecondFactorMethod[]>;
}

export class MfaStep implements SecondFactorStep {
  constructor(private readonly deps: SecondFactorStepDeps) {}

  async challenge(account: Account, amr: AuthMethod[]): Promise<SecondFactorRequired | undefined> {
    if (!account.mfaEnabled || hasSecondFactor(amr)) return undefined;
    const mfaToken = await this.deps.mfaChallenges.open(account.id, amr);
    const extra = (await this.deps.extraMethods?.(account.id)) ?? [];
    return { kind: 'second-factor-required', mfaToken, methods: ['totp', 'recovery_code', ...extra] };
  }
}
