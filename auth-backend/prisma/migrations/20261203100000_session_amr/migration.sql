-- How each session's user signed in (RFC 8176 "amr" values: pwd, otp, mfa, ext), carried into
-- every access token of the session and kept across refresh (src/tables/sessions.ts).
-- Additive: sessions opened before it signed in with a password.
ALTER TABLE "session" ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT ARRAY['pwd']::TEXT[];
