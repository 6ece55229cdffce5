-- v3 administration (issue 20): roles, disabled accounts, last sign-in, a fast search over
-- email and name, and the audit log. Additive only.
--
-- pg_trgm ships with the PostgreSQL server package (also in postgres:16-bookworm). Its GIN index
-- serves `ILIKE '%term%'`, the admin search, at a million users. Plain CREATE INDEX (not
-- CONCURRENTLY: Prisma runs a migration in a transaction); the indexes are non-unique, built once.
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- The role is an enum rather than text with a CHECK: the same guarantee, and one Prisma's schema
-- engine can compare with schema.prisma (a CHECK constraint crashes its JS engine's diff).
CREATE TYPE "Role" AS ENUM ('user', 'admin');
ALTER TABLE "user" ADD COLUMN "role" "Role" NOT NULL DEFAULT 'user';
ALTER TABLE "user" ADD COLUMN "disabledAt" TIMESTAMPTZ(3);
ALTER TABLE "user" ADD COLUMN "lastSignInAt" TIMESTAMPTZ(3);

-- One trigram index over email and name (separated by a control character no search term may
-- hold), for users.ts's `searchable ILIKE '%term%'`. On an expression, so that Prisma's schema
-- diff ignores it (schema.prisma cannot declare it; an index it could declare would need the
-- extension declared too, which its JS engine then reports as missing on every diff).
CREATE INDEX "user_search_trgm_idx" ON "user" USING GIN (("email" || E'\x01' || COALESCE("name", '')) gin_trgm_ops);
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
