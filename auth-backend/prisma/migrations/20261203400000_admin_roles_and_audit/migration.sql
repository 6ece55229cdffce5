-- v3 administration (issue 20): roles, disabled accounts, last sign-in, a fast search over
-- email and name, and the audit log. Additive only.
--
-- pg_trgm ships with the PostgreSQL server package (also in postgres:16-bookworm). Its GIN indexes
-- serve `ILIKE '%term%'`, the admin search, at a million users. Plain CREATE INDEX (not
-- CONCURRENTLY: Prisma runs a migration in a transaction); they are non-unique, built once.
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

ALTER TABLE "user" ADD COLUMN "role" TEXT NOT NULL DEFAULT 'user';
ALTER TABLE "user" ADD CONSTRAINT "user_role_check" CHECK ("role" IN ('user', 'admin'));
ALTER TABLE "user" ADD COLUMN "disabledAt" TIMESTAMPTZ(3);
ALTER TABLE "user" ADD COLUMN "lastSignInAt" TIMESTAMPTZ(3);

CREATE INDEX "user_email_trgm_idx" ON "user" USING GIN ("email" gin_trgm_ops);
CREATE INDEX "user_name_trgm_idx" ON "user" USING GIN ("name" gin_trgm_ops);
-- The admin list's keyset order (newest first).
CREATE INDEX "user_createdAt_id_idx" ON "user"("createdAt" DESC, "id" DESC);

-- The audit log (src/tables/audit-events.ts). No foreign key on userId/actorId: events outlive
-- an erased account and keep its id (never its address).
CREATE TABLE "audit_event" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" UUID,
    "actorId" UUID,
    "ip" TEXT,
    "userAgent" TEXT,
    "requestId" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "audit_event_at_id_idx" ON "audit_event"("at" DESC, "id" DESC);
CREATE INDEX "audit_event_userId_at_id_idx" ON "audit_event"("userId", "at" DESC, "id" DESC);
CREATE INDEX "audit_event_type_at_id_idx" ON "audit_event"("type", "at" DESC, "id" DESC);
