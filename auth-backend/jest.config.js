/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fast tier runs on its own (jest.unit.config.js, npm run test:unit).
  testPathIgnorePatterns: ['/node_modules/', '\\.unit\\.test\\.ts$'],
  // Type checking is `npm run typecheck`; tests only transpile.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  slowTestThreshold: 20,
};
