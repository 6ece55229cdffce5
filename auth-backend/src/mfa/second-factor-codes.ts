/**
 * Checking a second-factor code inside the caller's transaction: a TOTP code of the user's active
 * factor (each time step accepted at most once, by one conditional UPDATE) or an unused recovery
 * code (spent by one conditional UPDATE). The secrets are opened here and nowhere else.
 */
import type { Clock } from '../clock';
import type { Transaction } from '../db/transaction';
import { totpSecretContext, type Envelope } from '../crypto/key-encryption';
import type { FactorRow, MfaFactorsTable } from '../tables/mfa-factors';
import type { RecoveryCodesTable } from '../tables/recovery-codes';
import { ACCEPTED_ANSWER, ANSWERED_CHALLENGE } from '../tables/mfa-challenges';
import type { Fragment } from '../db/statement';
import { matchingStep } from './totp';
import { hashRecoveryCode } from './recovery-codes';

export interface SecondFactorCodesDeps {
  mfaFactors: MfaFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  /** Seals TOTP secrets (HKDF info `totp-secret-encryption/v1`), bound to the factor's id and user id. */
  secrets: Envelope;
  clock: Clock;
}

export class SecondFactorCodes {
  constructor(private readonly deps: SecondFactorCodesDeps) {}

  /** Accepts a code of the user's factor in `state` (active by default), spending its time step. */
  async acceptTotp(tx: Transaction, userId: string, code: string, state: 'pending' | 'active' = 'active'): Promise<boolean> {
    const factors = this.deps.mfaFactors.in(tx);
    const factor = await factors.findOfUser(userId);
    if (!factor || (state === 'active') !== (factor.confirmedAt !== null)) return false;
    const step = matchingStep(this.secretOf(factor), code, this.deps.clock());
    return step !== undefined && factors.acceptStep(factor.id, step, state);
  }

  /** Spends the user's unused recovery code `code`; false when it is none. */
  spendRecoveryCode(tx: Transaction, userId: string, code: string): Promise<boolean> {
    return this.deps.recoveryCodes.in(tx).spend(userId, hashRecoveryCode(userId, code), this.deps.clock());
  }

  /**
   * Accepting `code` as the answer to a challenge, as a fragment of its one statement
   * (tables/mfa-challenges.ts answer): the TOTP step it matches, or the recovery code it is;
   * undefined when a TOTP code matches no step of the factor (a wrong code, without a query).
   */
  answering(factor: FactorRow | null, userId: string, answer: { code?: string; recoveryCode?: string }): Fragment | undefined {
    const names = { gate: ANSWERED_CHALLENGE, name: ACCEPTED_ANSWER };
    if (answer.code === undefined)
      return this.deps.recoveryCodes.spending(userId, hashRecoveryCode(userId, answer.recoveryCode ?? ''), this.deps.clock(), names);
    if (!factor?.confirmedAt) return undefined;
    const step = matchingStep(this.secretOf(factor), answer.code, this.deps.clock());
    return step === undefined ? undefined : this.deps.mfaFactors.acceptingStep(factor.id, step, names);
  }

  /** The factor's secret, opened. */
  secretOf(factor: FactorRow): Buffer {
    return this.deps.secrets.open(factor.sealedSecret, totpSecretContext(factor));
  }
}
