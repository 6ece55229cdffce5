-- Per-account login failures, counted and checked atomically (src/auth/login-throttle.ts).
-- Replaces the account-failures/account-block rows of rate_limit, which are no longer read.
-- CreateTable
CREATE TABLE "login_failure" (
    "key" VARCHAR(64) NOT NULL,
    "failures" INTEGER NOT NULL,
    "windowEndsAt" TIMESTAMPTZ(3) NOT NULL,
    "blockedUntil" TIMESTAMPTZ(3),
    "leasedUntil" TIMESTAMPTZ(3),

    CONSTRAINT "login_failure_pkey" PRIMARY KEY ("key")
);

