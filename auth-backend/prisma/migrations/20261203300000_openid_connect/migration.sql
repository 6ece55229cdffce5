-- Sign in with an OpenID Connect provider (issue 19). Additive only: new tables, and a password
-- that may be absent (accounts made by a provider have none). Old code always writes one, so
-- dropping NOT NULL changes nothing for it.
-- AlterTable
ALTER TABLE "user" ALTER COLUMN "passwordHash" DROP NOT NULL;

-- CreateTable: an external identity (provider, subject) of a user.
CREATE TABLE "user_identity" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "email" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable: a sign-in started at a provider (single use, 10 minutes).
CREATE TABLE "oidc_state" (
    "id" UUID NOT NULL,
    "stateHash" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "redirectTo" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable: the one-time code a finished sign-in hands to the browser (single use, 60 s).
CREATE TABLE "oidc_exchange_code" (
    "id" UUID NOT NULL,
    "codeHash" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "amr" TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_exchange_code_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "user_identity_userId_idx" ON "user_identity"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "user_identity_provider_subject_key" ON "user_identity"("provider", "subject");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_state_stateHash_key" ON "oidc_state"("stateHash");

-- CreateIndex
CREATE INDEX "oidc_state_expiresAt_idx" ON "oidc_state"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_exchange_code_codeHash_key" ON "oidc_exchange_code"("codeHash");

-- CreateIndex
CREATE INDEX "oidc_exchange_code_userId_idx" ON "oidc_exchange_code"("userId");

-- AddForeignKey
ALTER TABLE "user_identity" ADD CONSTRAINT "user_identity_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oidc_exchange_code" ADD CONSTRAINT "oidc_exchange_code_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
