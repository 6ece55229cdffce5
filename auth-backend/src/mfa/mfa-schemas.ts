import { z } from '../http/zod';
import { AuthenticationResponseJSON } from '../passkeys/webauthn-schemas';

/** A TOTP code as an authenticator app shows it: 6 digits (spaces tolerated, as apps group them). */
const code = z
  .string({ error: 'is required' })
  .transform((typed) => typed.replace(/\s/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'must be the 6 digits from your authenticator app'))
  .openapi({ example: '123456', pattern: '^\\s*(\\d\\s*){6}$' });

const recoveryCode = z
  .string({ error: 'is required' })
  .min(1, 'is required')
  .max(64, 'is too long')
  .openapi({ example: 'ABCD-EFGH-JKLM', description: 'One of the recovery codes, in any case, with or without dashes' });

const mfaToken = z.string({ error: 'is required' }).min(1, 'is required').max(512, 'is too long').openapi({ description: 'From the mfaRequired login body' });

export const TotpCodeBody = z.strictObject({ code }).openapi('TotpCodeRequest');

export const MfaVerifyBody = z
  .union(
    [
      z.strictObject({ mfaToken, code }),
      z.strictObject({ mfaToken, recoveryCode }),
      z.strictObject({
        mfaToken,
        passkey: AuthenticationResponseJSON.openapi({ description: 'An assertion to the options of POST /auth/mfa/passkey/options for this mfaToken' }),
      }),
    ],
    { error: 'send mfaToken with one of code, recoveryCode or passkey' },
  )
  .openapi(
    'MfaVerifyRequest',
    { description: 'The mfaToken with a TOTP code, a recovery code, or a passkey assertion (when the mfaRequired body lists passkey)' },
    { unionPreferredType: 'oneOf' },
  );

export const TotpSetupResponse = z
  .object({
    secret: z.string().openapi({ description: 'The TOTP secret, base32 (RFC 4648), shown only here', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }),
    otpauthUrl: z.string().openapi({
      description: 'The key URI that authenticator apps read (show it as a QR code)',
      example: 'otpauth://totp/Auth%20Backend:ada%40example.com?issuer=Auth%20Backend&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    }),
    qrCodeSvg: z.string().openapi({ description: 'The otpauth URL as a QR code, an SVG document (beyond the contract: for clients that show it as is)' }),
  })
  .openapi('TotpSetupResponse');

export const RecoveryCodesResponse = z
  .object({
    recoveryCodes: z
      .array(z.string().openapi({ example: 'ABCD-EFGH-JKLM' }))
      .length(10)
      .openapi({ description: 'Shown only here; each works once' }),
  })
  .openapi('RecoveryCodesResponse');
