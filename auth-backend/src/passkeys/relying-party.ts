/**
 * The WebAuthn relying party: options, registration and assertion checks. Options and
 * registrations are @simplewebauthn/server's (the only module that imports its ceremonies);
 * assertions are checked by assertion-signature.ts, which applies the library's checks
 * (challenge, origin, RP id hash, user presence and verification, signature) with node:crypto and
 * a key imported once, held to the library's verdict by its tests (ADR 0032). What is ours is the
 * policy: discoverable credentials, user verification required, attestation `none`, the RP id
 * named in every options object, and the counter rule, which lives in SQL (tables/passkeys.ts)
 * so that it holds across replicas: the counter is never judged here.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../config/webauthn';
import type { DeviceType } from '../tables/passkeys';
import { CHALLENGE_TTL } from '../tables/passkey-challenges';
import {
  CreationOptionsJSON,
  KNOWN_TRANSPORTS,
  RequestOptionsJSON,
  type AuthenticationResponse,
  type CreationOptions,
  type RegistrationResponse,
  type RequestOptions,
  type Transport,
} from './webauthn-schemas';
import type { Credential } from './credential-seal';
import { PasskeyRefused, refusalReason } from './refusal-reason';
import { checkAssertion, rpIdHashOf, type AssertionExpectations, type PublicKey } from './assertion-signature';

/** The COSE algorithms offered and accepted: EdDSA, ES256, RS256 (what authenticators make). */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

export { PasskeyRefused };

export interface StoredCredential extends Credential {
  transports: string[];
}

export interface RegisteredCredential extends Credential {
  counter: number;
  transports: Transport[];
  deviceType: DeviceType;
  backedUp: boolean;
}

export interface VerifiedAssertion {
  counter: number;
  backedUp: boolean;
}

/** A challenge check: the challenge as signed back (base64url) -> whether it is the one issued (and now spent). */
export type ChallengeCheck = (challenge: string) => boolean | Promise<boolean>;

/** The user handle of an account: its id's bytes (a random UUID: no address, nothing personal). */
export const userHandleOf = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

const knownTransports = (transports: readonly string[] | undefined): Transport[] =>
  (transports ?? []).filter((transport): transport is Transport => (KNOWN_TRANSPORTS as readonly string[]).includes(transport));
const descriptor = (credential: StoredCredential) => ({
  id: credential.id,
  transports: knownTransports(credential.transports) as AuthenticatorTransportFuture[],
});

export class RelyingParty {
  private readonly expected: AssertionExpectations;

  constructor(private readonly config: WebAuthnConfig) {
    this.expected = { origins: config.origins, rpIdHash: rpIdHashOf(config.rpId) };
  }

  async creationOptions(user: { id: string; email: string; name: string | null }, existing: StoredCredential[], challenge: string): Promise<CreationOptions> {
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      challenge: new Uint8Array(Buffer.from(challenge, 'base64url')),
      timeout: CHALLENGE_TTL * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map(descriptor),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    return CreationOptionsJSON.parse({ ...options, rp: { ...options.rp, id: this.config.rpId } });
  }

  /** `allowed`: empty for a username-less sign-in, the account's passkeys for a second factor. */
  async requestOptions(allowed: StoredCredential[], challenge: string): Promise<RequestOptions> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      allowCredentials: allowed.map(descriptor),
      challenge: new Uint8Array(Buffer.from(challenge, 'base64url')),
      timeout: CHALLENGE_TTL * 1000,
      userVerification: 'required',
    });
    return RequestOptionsJSON.parse({ ...options, rpId: this.config.rpId, allowCredentials: options.allowCredentials ?? [] });
  }

  /** The new credential, or PasskeyRefused. */
  async verifyRegistration(response: RegistrationResponse, challenge: ChallengeCheck): Promise<RegisteredCredential> {
    const verification = await this.refusing(() =>
      verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: [...this.config.origins],
        expectedRPID: this.config.rpId,
        requireUserPresence: true,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      }),
    );
    if (!verification.verified) throw new PasskeyRefused('unverified');
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    return {
      id: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: knownTransports(response.response.transports),
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    };
  }

  /**
   * The assertion's counter and backup state, or PasskeyRefused. Checked with node:crypto against
   * a key imported once (assertion-signature.ts: the library's checks, in its order); the challenge
   * last, by `challenge`. The counter is not judged here (see above).
   */
  async verifyAssertion(response: AuthenticationResponse, publicKey: PublicKey, challenge: ChallengeCheck): Promise<VerifiedAssertion> {
    const checked = checkAssertion(response, publicKey, this.expected);
    if (!(await challenge(checked.challenge))) throw new PasskeyRefused('challenge');
    return { counter: checked.counter, backedUp: checked.backedUp };
  }

  private async refusing<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      throw new PasskeyRefused(refusalReason(error));
    }
  }
}
