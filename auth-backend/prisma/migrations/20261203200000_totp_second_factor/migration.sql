-- Second factor (v3): a TOTP factor per user (pending until confirmed), its recovery codes, and
-- the challenges (mfaToken) of sign-ins that wait for the second factor. Additive only.

-- Whether the user has an active factor, kept in the same transaction as the factor's
-- confirmation and removal (src/mfa/mfa-service.ts), so that /auth/me and login read it from
-- the row they already read.
ALTER TABLE "user" ADD COLUMN "mfaEnabled" BOOLEAN NOT NULL DEFAULT false;

-- One factor per user: pending (confirmedAt NULL) or active. The secret is sealed with
-- AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY, bound to (id, userId).
-- lastStep: the newest TOTP time step accepted (a code is accepted at most once).
CREATE TABLE "mfa_factor" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "confirmedAt" TIMESTAMPTZ(3),
    "lastStep" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "mfa_factor_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "mfa_factor_userId_key" ON "mfa_factor"("userId");
ALTER TABLE "mfa_factor" ADD CONSTRAINT "mfa_factor_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Recovery codes: only their SHA-256 (bound to the user), each usable once.
CREATE TABLE "recovery_code" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "codeHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "recovery_code_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "recovery_code_userId_codeHash_key" ON "recovery_code"("userId", "codeHash");
ALTER TABLE "recovery_code" ADD CONSTRAINT "recovery_code_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The mfaToken of a sign-in waiting for its second factor: only its hash, single use, expiring,
-- dead after 5 wrong codes. amr: how the first factor was made.
CREATE TABLE "mfa_challenge" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "amr" TEXT[] NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),
    "failures" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "mfa_challenge_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "mfa_challenge_tokenHash_key" ON "mfa_challenge"("tokenHash");
CREATE INDEX "mfa_challenge_userId_idx" ON "mfa_challenge"("userId");
ALTER TABLE "mfa_challenge" ADD CONSTRAINT "mfa_challenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
