/**
 * TOTP (RFC 6238) with the common authenticator-app parameters: HMAC-SHA-1, 6 digits, 30-second
 * steps, one step of drift either side. The arithmetic is the `otpauth` library's; this module
 * only fixes the parameters and says which time step a code matched, so that the caller can
 * accept each step at most once (tables/mfa-factors.ts acceptStep).
 */
import * as OTPAuth from 'otpauth';

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Steps of drift accepted either side of the current one. */
export const TOTP_WINDOW = 1;
/** 160 bits, as RFC 4226 recommends (and as authenticator apps expect). */
const SECRET_BYTES = 20;

const totp = (secret: OTPAuth.Secret, label = '', issuer = '') =>
  new OTPAuth.TOTP({ secret, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD, label, issuer, issuerInLabel: issuer !== '' });

/** A new random secret (raw bytes). */
export function newTotpSecret(): Buffer {
  return Buffer.from(new OTPAuth.Secret({ size: SECRET_BYTES }).bytes);
}

export const base32Of = (secret: Buffer) => OTPAuth.Secret.fromHex(secret.toString('hex')).base32;

/** The `otpauth://totp/Issuer:label?secret=...&issuer=...` URL that authenticator apps read (as a QR code). */
export function otpauthUrl(secret: Buffer, label: string, issuer: string): string {
  return totp(OTPAuth.Secret.fromHex(secret.toString('hex')), label, issuer).toString();
}

/** The time step of `at`. */
export const stepAt = (at: Date) => Math.floor(at.getTime() / 1000 / TOTP_PERIOD);

/** The time step whose code `code` is, within TOTP_WINDOW of `at`; undefined when none. */
export function matchingStep(secret: Buffer, code: string, at: Date): number | undefined {
  const delta = totp(OTPAuth.Secret.fromHex(secret.toString('hex'))).validate({ token: code, timestamp: at.getTime(), window: TOTP_WINDOW });
  return delta === null ? undefined : stepAt(at) + delta;
}
