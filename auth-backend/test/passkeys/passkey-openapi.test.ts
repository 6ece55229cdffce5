/** Passkeys in the OpenAPI document (the document's validity and lint: test/openapi/openapi.test.ts). */
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';

interface Operation {
  operationId: string;
  security: unknown[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface Schema {
  required?: string[];
  properties?: Record<string, unknown>;
  oneOf?: unknown[];
  allOf?: Schema[];
}

describe('passkeys in /openapi.json', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  beforeAll(async () => {
    t = await createTestApp();
    document = (await request(t.app).get('/openapi.json').expect(200)).body;
  });
  afterAll(() => t.close());

  it('documents every passkey operation of the contract with its security and statuses', () => {
    const expected: Record<string, { bearer: boolean; statuses: string[] }> = {
      'post /auth/passkeys/registration/options': { bearer: true, statuses: ['200', '401', '403'] },
      'post /auth/passkeys/registration': { bearer: true, statuses: ['201', '400', '401', '403', '413'] },
      'get /auth/passkeys': { bearer: true, statuses: ['200', '401'] },
      'patch /auth/passkeys/{id}': { bearer: true, statuses: ['200', '400', '401', '404', '413'] },
      'delete /auth/passkeys/{id}': { bearer: true, statuses: ['204', '401', '404', '409'] },
      'post /auth/passkeys/authentication/options': { bearer: false, statuses: ['200', '429'] },
      'post /auth/passkeys/authentication': { bearer: false, statuses: ['200', '400', '401', '403', '429', '413'] },
      'post /auth/mfa/passkey/options': { bearer: false, statuses: ['200', '401', '413'] },
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

  it('documents the WebAuthn JSON forms as objects, the Passkey, AdminUser.passkeys and the passkey answer of /auth/mfa/verify', () => {
    const { schemas } = document.components;
    expect(schemas.PublicKeyCredentialCreationOptionsJSON!.required).toEqual(
      expect.arrayContaining(['rp', 'user', 'challenge', 'pubKeyCredParams', 'excludeCredentials', 'authenticatorSelection', 'attestation']),
    );
    expect(schemas.PublicKeyCredentialRequestOptionsJSON!.required).toEqual(
      expect.arrayContaining(['challenge', 'rpId', 'allowCredentials', 'userVerification']),
    );
    expect(schemas.RegistrationResponseJSON!.required).toEqual(expect.arrayContaining(['id', 'rawId', 'type', 'response']));
    expect(schemas.AuthenticationResponseJSON!.required).toEqual(expect.arrayContaining(['id', 'rawId', 'type', 'response']));
    expect(schemas.Passkey!.required).toEqual(['id', 'name', 'createdAt', 'lastUsedAt', 'deviceType', 'backedUp', 'transports']);
    // AdminUser is User and its own fields (allOf).
    expect(schemas.AdminUser!.allOf![1]!.required).toEqual(expect.arrayContaining(['passkeys']));
    expect(JSON.stringify(schemas.MfaVerifyRequest!.oneOf)).toContain('#/components/schemas/AuthenticationResponseJSON');
    expect(schemas.MfaRequiredResponse!.properties!.methods).toMatchObject({ items: { enum: ['totp', 'recovery_code', 'passkey'] } });
  });
});
