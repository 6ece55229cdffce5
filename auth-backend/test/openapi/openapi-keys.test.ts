import path from 'node:path';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';
import { keyEnv } from '../support/signing-keys';

describe('GET /openapi.json with JWT_ALGORITHM=ES256', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(keyEnv());
  });
  afterAll(() => t.close());

  it('documents GET /.well-known/jwks.json, and the document still validates and lints clean', async () => {
    const document = (await request(t.app).get('/openapi.json').expect(200)).body;
    const operation = document.paths['/.well-known/jwks.json'].get;
    expect(operation).toMatchObject({ operationId: 'jwks', security: [], tags: ['keys'] });
    expect(Object.keys(operation.responses)).toEqual(['200']);
    expect(operation.responses['200'].headers).toHaveProperty('Cache-Control');
    const result = spawnSync(process.execPath, [path.join(__dirname, '../support/validate-openapi.mjs')], {
      input: JSON.stringify(document),
      encoding: 'utf8',
    });
    const validation = JSON.parse(result.stdout) as { schemaValid: boolean; lintErrors: string[]; lintWarnings: string[] };
    expect(validation).toMatchObject({ schemaValid: true, lintErrors: [] });
    // Like liveness and readiness, the JWKS has no 4xx answer, and none is invented for it.
    expect(validation.lintWarnings).toEqual([
      expect.stringMatching(/^operation-4xx-response: .*~1health/),
      expect.stringMatching(/^operation-4xx-response: .*~1ready/),
      expect.stringMatching(/^operation-4xx-response: .*~1.well-known~1jwks.json/),
      // The provider list has no failure, and the provider sign-in's browser navigations answer 302 (openapi.test.ts).
      expect.stringMatching(/^operation-4xx-response: .*~1auth~1oidc~1providers/),
      expect.stringMatching(/^operation-2xx-response: .*~1auth~1oidc~1\{id\}~1start/),
      expect.stringMatching(/^operation-2xx-response: .*~1auth~1oidc~1\{id\}~1callback/),
    ]);
  });
});
