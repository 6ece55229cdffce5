/** The second factor in the OpenAPI document (the document's validity and lint: test/openapi/openapi.test.ts). */
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';

interface Operation {
  operationId: string;
  security: unknown[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

describe('the second factor in /openapi.json', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { required?: string[]; oneOf?: unknown[] }> } };
  beforeAll(async () => {
    t = await createTestApp();
    document = (await request(t.app).get('/openapi.json').expect(200)).body;
  });
  afterAll(() => t.close());

  it('documents every operation of the contract with its security and statuses', () => {
    const expected: Record<string, { bearer: boolean; statuses: string[] }> = {
      'post /auth/mfa/totp/setup': { bearer: true, statuses: ['200', '401', '409'] },
      'post /auth/mfa/totp/confirm': { bearer: true, statuses: ['200', '400', '401', '409', '413'] },
      'post /auth/mfa/verify': { bearer: false, statuses: ['200', '400', '401', '413', '429'] },
      'post /auth/mfa/recovery-codes': { bearer: true, statuses: ['200', '401', '403'] },
      'delete /auth/mfa/totp': { bearer: true, statuses: ['204', '400', '401', '403', '413'] },
    };
    for (const [key, { bearer, statuses }] of Object.entries(expected)) {
      const [method, route] = key.split(' ') as [string, string];
      const operation = document.paths[route]![method]!;
      expect(operation.operationId).toEqual(expect.any(String));
      expect(operation.security).toEqual(bearer ? [{ bearerAuth: [] }] : []);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(statuses));
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) expect(Object.keys(response.content!)).toEqual(['application/problem+json']);
      }
    }
  });

  it('documents the login answer as one of the token response and the mfaRequired body, and User.mfaEnabled', () => {
    const login = document.paths['/auth/login']!.post!.responses['200']!.content!['application/json']!.schema;
    expect(login).toEqual({ $ref: '#/components/schemas/LoginResponse' });
    const { schemas } = document.components;
    expect(schemas.LoginResponse!.oneOf).toEqual([{ $ref: '#/components/schemas/TokenResponse' }, { $ref: '#/components/schemas/MfaRequiredResponse' }]);
    expect(schemas.MfaRequiredResponse!.required).toEqual(expect.arrayContaining(['mfaRequired', 'mfaToken', 'methods']));
    expect(schemas.User!.required).toEqual(expect.arrayContaining(['mfaEnabled']));
  });
});
