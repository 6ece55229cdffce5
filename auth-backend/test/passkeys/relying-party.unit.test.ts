/**
 * The relying party's policy and the counter rule as pure logic, in seconds (no database): what
 * src/passkeys/relying-party.ts asks of @simplewebauthn/server, against the tests' software
 * authenticator. The HTTP tests (passkey-*.test.ts) show the same through the service.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PasskeyRefused, RelyingParty, userHandleOf, type ChallengeCheck } from '../../src/passkeys/relying-party';
import { counterAdvances } from '../../src/tables/passkeys';
import { importPublicKey } from '../../src/passkeys/assertion-signature';
import { SoftwareAuthenticator } from '../support/software-authenticator';

const ORIGIN = 'https://auth.example.com';
const rp = new RelyingParty({ rpId: 'example.com', rpName: 'Example', origins: [ORIGIN, 'https://app.example.com'] });
const challenge = () => randomBytes(32).toString('base64url');
const exactly =
  (expected: string): ChallengeCheck =>
  (signed) =>
    signed === expected;
const reasonOf = async (attempt: Promise<unknown>) => {
  try {
    await attempt;
    return 'accepted';
  } catch (error) {
    if (error instanceof PasskeyRefused) return error.reason;
    throw error;
  }
};

async function registered(device = new SoftwareAuthenticator(ORIGIN)) {
  const user = { id: randomUUID(), email: 'ada@example.com', name: 'Ada' };
  const issued = challenge();
  const options = await rp.creationOptions(user, [], issued);
  const credential = await rp.verifyRegistration(device.create(options), exactly(issued));
  return { device, user, registration: credential, credential: importPublicKey(credential.publicKey) };
}

describe('the relying party', () => {
  it('asks for a discoverable credential with user verification and attestation none, naming the RP id and the user handle', async () => {
    const user = { id: randomUUID(), email: 'ada@example.com', name: null };
    const options = await rp.creationOptions(user, [{ id: 'AAAA', publicKey: new Uint8Array(), transports: ['usb', 'made-up'] }], challenge());
    expect(options).toMatchObject({
      rp: { id: 'example.com', name: 'Example' },
      user: { id: userHandleOf(user.id), name: 'ada@example.com', displayName: 'ada@example.com' },
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      attestation: 'none',
      excludeCredentials: [{ id: 'AAAA', type: 'public-key', transports: ['usb'] }],
    });
    expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual([-8, -7, -257]);
    const request = await rp.requestOptions([], challenge());
    expect(request).toMatchObject({ rpId: 'example.com', allowCredentials: [], userVerification: 'required' });
  });

  it('accepts a registration and an assertion from any configured origin of the RP id', async () => {
    const { device, credential, registration } = await registered(new SoftwareAuthenticator('https://app.example.com'));
    expect(registration).toMatchObject({ deviceType: 'singleDevice', backedUp: false, transports: ['internal'], counter: 0 });
    const issued = challenge();
    const verified = await rp.verifyAssertion(device.get(await rp.requestOptions([], issued)), credential, exactly(issued));
    expect(verified).toEqual({ counter: 1, backedUp: false });
  });

  it('refuses, with its reason, another origin or RP id, no user verification or presence, another challenge, an algorithm not offered, a bad signature', async () => {
    const { device, credential } = await registered();
    const issued = challenge();
    const options = await rp.requestOptions([], issued);
    const assert = (response: ReturnType<SoftwareAuthenticator['get']>, check: ChallengeCheck = exactly(issued)) =>
      reasonOf(rp.verifyAssertion(response, credential, check));
    expect(await assert(device.get(options, { origin: 'https://evil.example' }))).toBe('origin');
    expect(await assert(device.get(options, { rpId: 'evil.example' }))).toBe('rp-id');
    expect(await assert(device.get(options, { userVerified: false }))).toBe('user-verification');
    expect(await assert(device.get(options, { userPresent: false }))).toBe('user-presence');
    expect(await assert(device.get(options, { challenge: challenge() }))).toBe('challenge');
    const forged = device.get(options);
    forged.response.signature = Buffer.from(forged.response.signature, 'base64url').reverse().toString('base64url');
    expect(await assert(forged)).not.toBe('accepted');

    const registration = challenge();
    const creation = await rp.creationOptions({ id: randomUUID(), email: 'b@example.com', name: null }, [], registration);
    expect(await reasonOf(rp.verifyRegistration(new SoftwareAuthenticator(ORIGIN).create(creation, { algorithm: 'ES384' }), exactly(registration)))).toBe(
      'algorithm',
    );
    expect(await reasonOf(rp.verifyRegistration(new SoftwareAuthenticator('https://evil.example').create(creation), exactly(registration)))).toBe('origin');
  });

  it('leaves the counter to the service: a counter that went back passes the library, and the rule refuses it', async () => {
    const { device, credential } = await registered();
    const issued = challenge();
    const options = await rp.requestOptions([], issued);
    expect(await rp.verifyAssertion(device.get(options, { counter: 3 }), credential, exactly(issued))).toEqual({ counter: 3, backedUp: false });
    expect(counterAdvances(5, 3)).toBe(false);
    expect(counterAdvances(5, 5)).toBe(false);
    expect(counterAdvances(5, 6)).toBe(true);
    expect(counterAdvances(0, 0)).toBe(true);
    expect(counterAdvances(0, 1)).toBe(true);
    expect(counterAdvances(1, 0)).toBe(false);
  });
});
