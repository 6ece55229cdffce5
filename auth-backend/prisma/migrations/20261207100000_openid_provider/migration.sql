-- The service as an OpenID Provider (issue 26). Additive only: four new tables.
-- oauth_client: applications registered by administrators (secrets as SHA-256 only).
-- oauth_consent: the scopes a user granted a client, remembered per client.
-- oidc_provider_state: every piece of oidc-provider's state, keyed by model name and the SHA-256
--   of its id, payload sealed (KEY_ENCRYPTION_KEY); rows expire and a worker deletes them.
-- oidc_session_binding: the service session a browser's provider session rides on.
-- CreateTable
CREATE TABLE "oauth_client" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "redirectUris" TEXT[],
    "postLogoutRedirectUris" TEXT[],
    "grantTypes" TEXT[],
    "resources" TEXT[],
    "firstParty" BOOLEAN NOT NULL DEFAULT false,
    "secretHash" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oauth_client_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oauth_consent" (
    "userId" UUID NOT NULL,
    "clientId" TEXT NOT NULL,
    "scopes" TEXT[],
    "grantedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oauth_consent_pkey" PRIMARY KEY ("userId","clientId")
);

-- CreateTable
CREATE TABLE "oidc_provider_state" (
    "model" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "grantId" TEXT,
    "uid" TEXT,
    "userCodeHash" TEXT,
    "accountId" TEXT,
    "clientId" TEXT,
    "boundTo" TEXT,
    "expiresAt" TIMESTAMPTZ(3),
    "consumedAt" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_provider_state_pkey" PRIMARY KEY ("model","key")
);

-- CreateTable
CREATE TABLE "oidc_session_binding" (
    "uid" TEXT NOT NULL,
    "sessionId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_session_binding_pkey" PRIMARY KEY ("uid")
);

-- CreateIndex
CREATE INDEX "oauth_client_createdAt_id_idx" ON "oauth_client"("createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "oauth_consent_clientId_idx" ON "oauth_consent"("clientId");

-- CreateIndex
CREATE INDEX "oidc_provider_state_grantId_idx" ON "oidc_provider_state"("grantId");

-- CreateIndex
CREATE INDEX "oidc_provider_state_model_uid_idx" ON "oidc_provider_state"("model", "uid");

-- CreateIndex
CREATE INDEX "oidc_provider_state_userCodeHash_idx" ON "oidc_provider_state"("userCodeHash");

-- CreateIndex
CREATE INDEX "oidc_provider_state_accountId_clientId_idx" ON "oidc_provider_state"("accountId", "clientId");

-- CreateIndex
CREATE INDEX "oidc_provider_state_expiresAt_idx" ON "oidc_provider_state"("expiresAt");

-- CreateIndex
CREATE INDEX "oidc_session_binding_sessionId_idx" ON "oidc_session_binding"("sessionId");

-- AddForeignKey
ALTER TABLE "oauth_consent" ADD CONSTRAINT "oauth_consent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oauth_consent" ADD CONSTRAINT "oauth_consent_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "oauth_client"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oidc_session_binding" ADD CONSTRAINT "oidc_session_binding_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

