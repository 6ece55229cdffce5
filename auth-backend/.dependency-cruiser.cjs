/**
 * The dependency rules of src/ (docs/architecture.md), checked by `npm run lint`:
 * folders form layers, so no folder may reach itself again through another, and the shared
 * layers (http/, db/, tables/) never import a feature folder.
 */
const FEATURES =
  '^src/(account|auth|health|keys|mail|openapi|sessions|throttle|users|admin|mfa|oidc|audit|metrics|sign-in|tokens|passwords|migrations|provider|passkeys|webhooks|notifications|console)/';

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Two folders that import each other have no clear layer: move the shared piece down a layer.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment: 'Modules that import each other load in an order that depends on who imports first.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'shared-layers-know-no-feature',
      severity: 'error',
      comment:
        'http/, db/, tables/ and web/ (the pages\' layout, headers, CSRF and assets) serve every feature and so import none (STYLE.md, "Folders form layers").',
      from: { path: '^src/(http|db|tables|web)/' },
      to: { path: FEATURES },
    },
    {
      name: 'endpoint-files-stand-alone',
      severity: 'error',
      comment: "An endpoint file maps HTTP to one feature's services; what two of them share lives in a module of its own (schemas, response bodies).",
      from: { path: '-endpoints\\.ts$' },
      to: { path: '-endpoints\\.ts$' },
    },
    {
      name: 'sign-in-pipeline-knows-no-door',
      severity: 'error',
      comment:
        'Every door (password, provider, second factor, passkey, hosted pages) hands the pipeline an attempt; the pipeline imports none of them (the second-factor step is handed in).',
      from: { path: '^src/sign-in/' },
      to: { path: '^src/(auth|oidc|mfa|passkeys|provider|account|admin|console)/' },
    },
    {
      name: 'runtime-queries-through-pg',
      severity: 'error',
      comment: 'Runtime queries are plain SQL in src/tables/ (docs/decisions/0012-runtime-queries.md); Prisma is the schema and migration tool.',
      from: { path: '^src/' },
      to: { path: '@prisma/client' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/.*\\.d\\.ts$' },
  },
};
