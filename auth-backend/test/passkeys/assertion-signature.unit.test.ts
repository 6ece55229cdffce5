/**
 * The service's own assertion check (src/passkeys/assertion-signature.ts, node:crypto) held to
 * @simplewebauthn/server's verifyAuthenticationResponse: for valid assertions and for each kind of
 * tampering, with ES256 (the tests' software authenticator) and with EdDSA and RS256 keys made
 * here, both must come to the same verdict, and agree on the counter and backup state.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { checkAssertion, importPublicKey, rpIdHashOf, type AssertionParts } from '../../src/passkeys/assertion-signature';
import { PasskeyRefused } from '../../src/passkeys/refusal-reason';
import { SoftwareAuthenticator } from '../support/software-authenticator';

const ORIGIN = 'https://auth.example.com';
const RP_ID = 'example.com';
const expected = { origins: [ORIGIN], rpIdHash: rpIdHashOf(RP_ID) };
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

type Response = AssertionParts & { response: AssertionParts['response'] };

/** Both verdicts: the service's, and the library's (with the same expectations and the challenge as signed). */
async function verdicts(response: Response, cosePublicKey: Uint8Array, challenge: string) {
  let ours: string;
  try {
    const checked = checkAssertion(response, importPublicKey(cosePublicKey), expected);
    ours = checked.challenge === challenge ? `accepted ${checked.counter} ${checked.backedUp}` : 'refused';
  } catch (error) {
    if (!(error instanceof PasskeyRefused)) throw error;
    ours = 'refused';
  }
  let library: string;
  try {
    const result = await verifyAuthenticationResponse({
      response: { ...response, clientExtensionResults: {} } as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { id: response.id, publicKey: new Uint8Array(cosePublicKey), counter: 0 },
      requireUserVerification: true,
    });
    library = result.verified ? `accepted ${result.authenticationInfo.newCounter} ${result.authenticationInfo.credentialBackedUp}` : 'refused';
  } catch {
    library = 'refused';
  }
  return { ours, library };
}

/** An assertion by a key made here (EdDSA, RS256), with flags and fields as a test wants them. */
function handMade(privateKey: KeyObject, digest: 'sha256' | null, overrides: { flags?: number; origin?: string; type?: string; counter?: number } = {}) {
  const challenge = randomBytes(32).toString('base64url');
  const flags = overrides.flags ?? 0x05; // UP | UV
  const authData = Buffer.concat([sha256(RP_ID), Buffer.from([flags]), Buffer.from([0, 0, 0, overrides.counter ?? 7])]);
  const clientData = Buffer.from(JSON.stringify({ type: overrides.type ?? 'webauthn.get', challenge, origin: overrides.origin ?? ORIGIN }));
  const signature = sign(digest, Buffer.concat([authData, sha256(clientData)]), privateKey);
  const id = randomBytes(16).toString('base64url');
  const response: Response = {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: clientData.toString('base64url'),
      authenticatorData: authData.toString('base64url'),
      signature: signature.toString('base64url'),
    },
  };
  return { response, challenge };
}

function coseOf(kind: 'ed25519' | 'rsa') {
  if (kind === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    return {
      privateKey,
      digest: null,
      cose: isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, new Uint8Array(x)],
        ]),
      ),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const [n, e] = [jwk.n!, jwk.e!].map((value) => new Uint8Array(Buffer.from(value, 'base64url')));
  return {
    privateKey,
    digest: 'sha256' as const,
    cose: isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 3],
        [3, -257],
        [-1, n!],
        [-2, e!],
      ]),
    ),
  };
}

const flip = (value: string, index: number) => {
  const bytes = Buffer.from(value, 'base64url');
  bytes[index]! ^= 0x01;
  return bytes.toString('base64url');
};

describe('the assertion check agrees with @simplewebauthn/server', () => {
  it('on ES256 assertions from the software authenticator, valid and tampered', async () => {
    const device = new SoftwareAuthenticator(ORIGIN);
    const challenge = randomBytes(32).toString('base64url');
    const creation = device.create({
      rp: { id: RP_ID, name: 'Example' },
      user: { id: 'dXNlcg', name: 'u', displayName: 'u' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    const attestation = isoCBOR.decodeFirst<Map<string, Uint8Array>>(Buffer.from(creation.response.attestationObject, 'base64url'));
    const authData = Buffer.from(attestation.get('authData')!);
    const credentialIdLength = authData.readUInt16BE(53);
    const cose = new Uint8Array(authData.subarray(55 + credentialIdLength));
    const options = { challenge, rpId: RP_ID, allowCredentials: [] };
    const cases: Array<[string, Response, string]> = [];
    const add = (name: string, response: Response, signed = challenge) => cases.push([name, response, signed]);
    add('valid', device.get(options));
    add('another origin', device.get(options, { origin: 'https://evil.example' }));
    add('another RP id', device.get(options, { rpId: 'evil.example' }));
    add('no user verification', device.get(options, { userVerified: false }));
    add('no user presence', device.get(options, { userPresent: false }));
    add('another challenge', device.get(options, { challenge: randomBytes(32).toString('base64url') }));
    const badSignature = device.get(options);
    badSignature.response.signature = flip(badSignature.response.signature, badSignature.response.signature.length > 10 ? 40 : 0);
    add('a signature changed', badSignature);
    const badData = device.get(options);
    badData.response.authenticatorData = flip(badData.response.authenticatorData, 34); // the counter
    add('authenticator data changed after signing', badData);
    const badClient = device.get(options);
    badClient.response.clientDataJSON = Buffer.from(Buffer.from(badClient.response.clientDataJSON, 'base64url').toString().replace('}', ',"x":1}')).toString(
      'base64url',
    );
    add('client data changed after signing', badClient);
    const otherId = device.get(options);
    otherId.id = 'AAAA';
    add('id and rawId differ', otherId);
    const notPublicKey = device.get(options);
    (notPublicKey as { type: string }).type = 'password';
    add('type not public-key', notPublicKey);

    for (const [name, response, signed] of cases) {
      const { ours, library } = await verdicts(response, cose, signed);
      expect({ name, ours }).toEqual({ name, ours: library });
    }
    expect((await verdicts(device.get(options, { counter: 41 }), cose, challenge)).ours).toBe('accepted 41 false');
  });

  it.each(['ed25519', 'rsa'] as const)('on %s assertions made here, valid and tampered', async (kind) => {
    const { privateKey, digest, cose } = coseOf(kind);
    const cases = [
      handMade(privateKey, digest),
      handMade(privateKey, digest, { flags: 0x1d }), // UP UV BE BS: backed up
      handMade(privateKey, digest, { flags: 0x15 }), // BS without BE: invalid
      handMade(privateKey, digest, { flags: 0x01 }), // no UV
      handMade(privateKey, digest, { flags: 0x04 }), // no UP
      handMade(privateKey, digest, { origin: 'https://evil.example' }),
      handMade(privateKey, digest, { type: 'webauthn.create' }),
    ];
    const tampered = handMade(privateKey, digest);
    tampered.response.response.signature = flip(tampered.response.response.signature, 3);
    cases.push(tampered);
    const results = [];
    for (const { response, challenge } of cases) results.push(await verdicts(response, cose, challenge));
    for (const { ours, library } of results) expect(ours).toBe(library);
    expect(results.map((result) => result.ours)).toEqual([
      'accepted 7 false',
      'accepted 7 true',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
    ]);
  });

  it('refuses to import a key of an algorithm registration does not accept', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = publicKey.export({ format: 'jwk' });
    const es384 = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -35],
        [-1, 2],
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    expect(() => importPublicKey(es384)).toThrow(PasskeyRefused);
  });
});
