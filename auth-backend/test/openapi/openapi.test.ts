import path from 'node:path';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../support/test-app';

interface Validation {
  schemaValid: boolean;
  schemaErrors: unknown[];
  version: string;
  lintErrors: string[];
  lintWarnings: string[];
}

/** Every METHOD /path the Express app routes, read from its router stack. */
function routedOperations(app: Express): string[] {
  const operations: string[] = [];
  const walk = (stack: Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          if (method !== '_all') operations.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack as typeof stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Parameters<typeof walk>[0] } }).router.stack);
  return operations;
}

describe('GET /openapi.json', () => {
  let t: TestApp;
  let document: {
    openapi: string;
    servers: unknown;
    paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown> }>>;
  };
  beforeAll(async () => {
    t = await createTestApp();
    document = (
      await request(t.app)
        .get('/openapi.json')
        .expect('Content-Type', /application\/json/)
        .expect(200)
    ).body;
  });
  afterAll(() => t.close());

  it('is an OpenAPI 3.1 document that validates against the official schema and passes Redocly recommended', () => {
    const result = spawnSync(process.execPath, [path.join(__dirname, '../support/validate-openapi.mjs')], {
      input: JSON.stringify(document),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    const validation = JSON.parse(result.stdout) as Validation;
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(validation).toMatchObject({ schemaValid: true, schemaErrors: [], lintErrors: [] });
    // The only warnings: liveness and readiness have no 4xx answer, and none is invented for them.
    expect(validation.lintWarnings).toEqual([
      expect.stringMatching(/^operation-4xx-response: .*~1health/),
      expect.stringMatching(/^operation-4xx-response: .*~1ready/),
      // Nor the JWK Set (v4: served in every mode, it has no failure to answer).
      expect.stringMatching(/^operation-4xx-response: .*~1\.well-known~1jwks\.json/),
      // Nor the provider list (the contract lists no failure); the provider sign-in's browser
      // navigations answer 302 (the contract's success), never a 2xx.
      expect.stringMatching(/^operation-4xx-response: .*~1auth~1oidc~1providers/),
      expect.stringMatching(/^operation-2xx-response: .*~1auth~1oidc~1\{id\}~1start/),
      expect.stringMatching(/^operation-2xx-response: .*~1auth~1oidc~1\{id\}~1callback/),
    ]);
  });

  it('lists every route the app serves, and nothing it does not', () => {
    const documented = Object.entries(document.paths).flatMap(([route, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
    );
    // The JSON API only: the OpenID Provider's endpoints are described by its discovery document,
    // its hosted pages (/oidc/interaction/...), their assets (/assets/...) and the admin console's
    // pages (/console...) by docs/.
    const served = routedOperations(t.app).filter((operation) => !/ \/(openapi\.json|docs|oidc\/|assets\/|console)/.test(operation));
    expect(new Set(served)).toEqual(new Set(documented));
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/logout',
        'POST /auth/logout-all',
        'GET /auth/me',
        'POST /auth/password',
        'GET /auth/sessions',
        'DELETE /auth/sessions/{id}',
        'GET /health',
        'GET /ready',
      ]),
    );
  });

  it('describes each operation as the contract says: ids, security, statuses, problem bodies', () => {
    expect(document.servers).toEqual([{ url: '/' }]);
    const expected: Record<string, { bearer: boolean | 'admin'; statuses: string[] }> = {
      'post /auth/register': { bearer: false, statuses: ['201', '400', '409', '413'] },
      'post /auth/login': { bearer: false, statuses: ['200', '400', '401', '413', '429'] },
      'post /auth/refresh': { bearer: false, statuses: ['200', '400', '401', '413'] },
      'post /auth/logout': { bearer: false, statuses: ['204', '400', '413'] },
      'post /auth/logout-all': { bearer: true, statuses: ['204', '401'] },
      'get /auth/me': { bearer: true, statuses: ['200', '401'] },
      'post /auth/password': { bearer: true, statuses: ['204', '400', '401', '413'] },
      'get /auth/sessions': { bearer: true, statuses: ['200', '401'] },
      'delete /auth/sessions/{id}': { bearer: true, statuses: ['204', '401', '404'] },
      'get /health': { bearer: false, statuses: ['200'] },
      'get /ready': { bearer: false, statuses: ['200', '503'] },
      'get /auth/oidc/providers': { bearer: false, statuses: ['200'] },
      'get /auth/oidc/{id}/start': { bearer: false, statuses: ['302', '400', '404'] },
      'get /auth/oidc/{id}/callback': { bearer: false, statuses: ['302', '400', '404'] },
      'post /auth/oidc/exchange': { bearer: false, statuses: ['200', '400', '401', '413'] },
      'get /auth/identities': { bearer: true, statuses: ['200', '401'] },
      'delete /auth/identities/{id}': { bearer: true, statuses: ['204', '401', '404', '409'] },
      // v4: webhooks (administrators).
      'post /admin/webhooks': { bearer: 'admin', statuses: ['201', '400', '401', '403', '413'] },
      'get /admin/webhooks': { bearer: 'admin', statuses: ['200', '401', '403'] },
      'get /admin/webhooks/{id}': { bearer: 'admin', statuses: ['200', '401', '403', '404'] },
      'patch /admin/webhooks/{id}': { bearer: 'admin', statuses: ['200', '400', '401', '403', '404', '413'] },
      'delete /admin/webhooks/{id}': { bearer: 'admin', statuses: ['204', '401', '403', '404'] },
      'post /admin/webhooks/{id}/secret': { bearer: 'admin', statuses: ['200', '401', '403', '404'] },
      'get /admin/webhooks/{id}/deliveries': { bearer: 'admin', statuses: ['200', '400', '401', '403', '404'] },
      'post /admin/webhooks/{id}/deliveries/{deliveryId}/retry': { bearer: 'admin', statuses: ['202', '401', '403', '404'] },
      'post /admin/webhooks/{id}/test': { bearer: 'admin', statuses: ['202', '401', '403', '404'] },
    };
    for (const [key, { bearer, statuses }] of Object.entries(expected)) {
      const [method, route] = key.split(' ') as [string, string];
      const operation = document.paths[route]![method]!;
      expect(operation.operationId).toEqual(expect.any(String));
      expect(operation.security).toEqual(bearer === 'admin' ? [{ adminBearer: [] }] : bearer ? [{ bearerAuth: [] }] : []);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(statuses));
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) expect(Object.keys((response as { content: object }).content)).toEqual(['application/problem+json']);
      }
    }
    const schemas = (document as unknown as { components: { schemas: Record<string, { required?: string[] }> } }).components.schemas;
    expect(schemas.User!.required).toEqual(expect.arrayContaining(['id', 'email', 'name', 'createdAt']));
    expect(schemas.TokenResponse!.required).toEqual(expect.arrayContaining(['user', 'accessToken', 'refreshToken', 'tokenType', 'expiresIn']));
  });
});

describe('GET /docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers an HTML page at /docs itself whose scripts and stylesheets all come from the service', async () => {
    const page = await request(t.app).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/(?!\/)/);
      await request(t.app).get(asset).expect(200);
    }
  });
});
