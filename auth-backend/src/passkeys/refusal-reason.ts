/**
 * Why the relying party refused a response, in a word, for the log line: the client always gets
 * the one `invalid_passkey` body, and the library's own messages are never logged (some quote the
 * challenge or the attestation certificates). Read from @simplewebauthn/server's messages;
 * anything unrecognised is `malformed`.
 */
export type RefusalReason =
  | 'challenge'
  | 'origin'
  | 'rp-id'
  | 'user-presence'
  | 'user-verification'
  | 'algorithm'
  | 'signature'
  | 'attestation'
  | 'type'
  | 'unverified'
  | 'malformed'
  // Decided by the service, not the library:
  | 'unknown-credential'
  | 'other-account'
  | 'user-handle'
  | 'counter'
  | 'unreadable';

const PATTERNS: Array<[RegExp, RefusalReason]> = [
  [/challenge/i, 'challenge'],
  [/origin/i, 'origin'],
  [/RP ID/i, 'rp-id'],
  [/user verification/i, 'user-verification'],
  [/not present|user presence/i, 'user-presence'],
  [/public key alg|algorithm/i, 'algorithm'],
  [/signature/i, 'signature'],
  [/attestation|certificate|x5c|attStmt/i, 'attestation'],
  [/response type|credential type/i, 'type'],
];

export function refusalReason(error: unknown): RefusalReason {
  const message = error instanceof Error ? error.message : '';
  return PATTERNS.find(([pattern]) => pattern.test(message))?.[1] ?? 'malformed';
}

/** A response the relying party refused; `reason` is for the log line only (the client gets one body). */
export class PasskeyRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`passkey refused: ${reason}`);
    this.name = 'PasskeyRefused';
  }
}
