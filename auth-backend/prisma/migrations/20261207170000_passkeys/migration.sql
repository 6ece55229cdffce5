-- Passkeys (v4): a user's WebAuthn credentials, and the challenges the service issued for them.
-- Additive only: two new tables. The credential id and public key are sealed together under a key
-- derived from KEY_ENCRYPTION_KEY (bound to the row's id and user); the credential id is looked up
-- by its SHA-256 only. A challenge is stored as its SHA-256, single use, 5 minutes; any replica
-- verifies what another issued.

-- CreateTable
CREATE TABLE "passkey" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "credentialIdHash" TEXT NOT NULL,
    "sealedCredential" TEXT NOT NULL,
    "counter" BIGINT NOT NULL DEFAULT 0,
    "transports" TEXT[],
    "deviceType" TEXT NOT NULL,
    "backedUp" BOOLEAN NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "lastUsedAt" TIMESTAMPTZ(3),

    CONSTRAINT "passkey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "passkey_challenge" (
    "id" UUID NOT NULL,
    "challengeHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "userId" UUID,
    "mfaChallengeId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "passkey_challenge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "passkey_credentialIdHash_key" ON "passkey"("credentialIdHash");

-- CreateIndex
CREATE INDEX "passkey_userId_idx" ON "passkey"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "passkey_challenge_challengeHash_key" ON "passkey_challenge"("challengeHash");

-- CreateIndex
CREATE INDEX "passkey_challenge_expiresAt_idx" ON "passkey_challenge"("expiresAt");

-- CreateIndex
CREATE INDEX "passkey_challenge_userId_idx" ON "passkey_challenge"("userId");

-- CreateIndex
CREATE INDEX "passkey_challenge_mfaChallengeId_idx" ON "passkey_challenge"("mfaChallengeId");

-- AddForeignKey
ALTER TABLE "passkey" ADD CONSTRAINT "passkey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "passkey_challenge" ADD CONSTRAINT "passkey_challenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "passkey_challenge" ADD CONSTRAINT "passkey_challenge_mfaChallengeId_fkey" FOREIGN KEY ("mfaChallengeId") REFERENCES "mfa_challenge"("id") ON DELETE CASCADE ON UPDATE CASCADE;
