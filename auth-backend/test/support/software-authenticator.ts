/**
 * A WebAuthn authenticator and client in software, for the tests: what a browser and a platform
 * authenticator do with the service's options, built from the specification (WebAuthn Level 3,
 * §6.1 authenticator data, §6.5 attestation object with format `none`, §5.8.1 client data) and
 * nothing of the service's: P-256 (or P-384) keys from node:crypto, CBOR from the encoder
 * @simplewebauthn uses (@levischuck/tiny-cbor, through its helpers), authenticator data byte by byte.
 *
 * Each option of `create` and `get` lets a test play a client or authenticator that misbehaves
 * (another origin or RP id, no user verification, a counter that goes back, a replayed or borrowed
 * credential) to see the service refuse it.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** Authenticator data flags (WebAuthn §6.1). */
const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;
/** COSE (RFC 9053) ids: key type EC2, curves, algorithms. */
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, EC2: 2 } as const;
const CURVES = { ES256: { curve: 'P-256', crv: 1, alg: -7, hash: 'sha256' }, ES384: { curve: 'P-384', crv: 2, alg: -35, hash: 'sha384' } } as const;
export type Algorithm = keyof typeof CURVES;

export interface CreationOptions {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: Array<{ type: string; alg: number }>;
  excludeCredentials?: Array<{ id: string }>;
  authenticatorSelection?: { residentKey?: string; userVerification?: string };
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: Array<{ id: string }>;
  userVerification?: string;
}

interface StoredCredential {
  id: string;
  privateKey: KeyObject;
  algorithm: Algorithm;
  rpId: string;
  userHandle: string;
  counter: number;
}

/** What a test may change about one ceremony. */
export interface CeremonyOverrides {
  /** The origin the client reports (default: the authenticator's). */
  origin?: string;
  /** The RP id the authenticator hashes (default: the options'). */
  rpId?: string;
  /** Whether the authenticator verified the user (default true). */
  userVerified?: boolean;
  /** Whether the user was present (default true). */
  userPresent?: boolean;
  /** The challenge the client signs (default: the options'). */
  challenge?: string;
}

export interface CreateOverrides extends CeremonyOverrides {
  algorithm?: Algorithm;
  /** Ignore excludeCredentials, as a broken client would. */
  ignoreExclude?: boolean;
  /** Register under this credential id instead of a fresh one (a credential someone else already registered). */
  credentialId?: string;
  /** Backup eligible and backed up (a synced passkey): counter stays 0. */
  synced?: boolean;
}

export interface GetOverrides extends CeremonyOverrides {
  /** Answer with this credential (default: the first allowed one it holds, or its newest for the RP id). */
  credentialId?: string;
  /** The signature counter to report (default: one more than the last). */
  counter?: number;
  /** Leave the user handle out. */
  omitUserHandle?: boolean;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');
const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
};

export class SoftwareAuthenticator {
  private readonly credentials: StoredCredential[] = [];
  private readonly synced = new Set<string>();

  /** `origin`: the page's origin as the client reports it (e.g. http://localhost:3000). */
  constructor(private readonly origin: string) {}

  /** How many credentials it holds. */
  get size(): number {
    return this.credentials.length;
  }

  /** navigator.credentials.create() in JSON form: a new discoverable credential, attestation `none`. */
  create(options: CreationOptions, overrides: CreateOverrides = {}) {
    const rpId = overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const algorithm = overrides.algorithm ?? 'ES256';
    const excluded = new Set((options.excludeCredentials ?? []).map((credential) => credential.id));
    if (!overrides.ignoreExclude && this.credentials.some((credential) => credential.rpId === rpId && excluded.has(credential.id))) {
      throw new Error('InvalidStateError: the authenticator holds an excluded credential');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[algorithm].curve });
    const id = overrides.credentialId ?? b64url(randomBytes(32));
    this.credentials.push({ id, privateKey, algorithm, rpId, userHandle: options.user.id, counter: 0 });
    if (overrides.synced) this.synced.add(id);

    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [COSE.kty, COSE.EC2],
        [COSE.alg, CURVES[algorithm].alg],
        [COSE.crv, CURVES[algorithm].crv],
        [COSE.x, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [COSE.y, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const credentialId = Buffer.from(id, 'base64url');
    const credentialLength = Buffer.alloc(2);
    credentialLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      this.header(rpId, FLAG.AT | this.flags(overrides, overrides.synced ?? false), 0),
      Buffer.alloc(16), // AAGUID: all zero, as `none` attestation sends it
      credentialLength,
      credentialId,
      Buffer.from(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, never> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, never>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id,
      rawId: id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: this.clientData('webauthn.create', overrides.challenge ?? options.challenge, overrides),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get() in JSON form: an assertion by one of its credentials. */
  get(options: RequestOptions, overrides: GetOverrides = {}) {
    const rpId = overrides.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((credential) => credential.id));
    const credential = overrides.credentialId
      ? this.credentials.find((candidate) => candidate.id === overrides.credentialId)
      : [...this.credentials].reverse().find((candidate) => (allowed.size === 0 ? candidate.rpId === (options.rpId ?? rpId) : allowed.has(candidate.id)));
    if (!credential) throw new Error('NotAllowedError: no credential for these options');
    const synced = this.synced.has(credential.id);
    const counter = overrides.counter ?? (synced ? 0 : credential.counter + 1);
    credential.counter = Math.max(credential.counter, counter);
    const authData = Buffer.concat([this.header(rpId, this.flags(overrides, synced), counter)]);
    const clientDataJSON = this.clientData('webauthn.get', overrides.challenge ?? options.challenge, overrides);
    const signature = sign(
      CURVES[credential.algorithm].hash,
      Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]),
      credential.privateKey,
    );
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON,
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(overrides.omitUserHandle ? {} : { userHandle: credential.userHandle }),
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    };
  }

  /** The credential ids it holds (what a test must never find on a log line or in the database). */
  credentialIds(): string[] {
    return this.credentials.map((credential) => credential.id);
  }

  /** rpIdHash, flags, signCount: the first 37 bytes of authenticator data. */
  private header(rpId: string, flags: number, counter: number): Buffer {
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), u32(counter)]);
  }

  private flags(overrides: CeremonyOverrides, synced: boolean): number {
    return (overrides.userPresent === false ? 0 : FLAG.UP) | (overrides.userVerified === false ? 0 : FLAG.UV) | (synced ? FLAG.BE | FLAG.BS : 0);
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): string {
    return b64url(Buffer.from(JSON.stringify({ type, challenge, origin: overrides.origin ?? this.origin, crossOrigin: false })));
  }
}
