/**
 * The fast tier (`npm run test:unit`): pure logic — config parsing, cursors, address digests,
 * policies, the token memo, the migration linter's rules — in seconds, with no PostgreSQL, no
 * server and no container. Such a test is named `*.unit.test.ts` and sits where test/ mirrors src/.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.unit.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // No globalSetup: a unit test that reaches for the database fails (TEST_ADMIN_URL is not set).
  testTimeout: 10_000,
};
