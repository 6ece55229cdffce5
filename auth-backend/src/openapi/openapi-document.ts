/**
 * The OpenAPI 3.1 document, generated from the same endpoint definitions and zod schemas that
 * the app mounts and validates with.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from '../http/zod';
import type { AnyEndpoint } from '../http/endpoint';
import { ERRORS } from '../errors';

const Problem = z
  .object({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: 'validation_failed', description: 'Stable machine-readable error code' }),
    errors: z
      .array(z.object({ path: z.string().openapi({ example: 'email' }), message: z.string() }))
      .optional()
      .openapi({ description: 'Only for validation failures: one entry per bad field' }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

const FAILURE_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (problem body with `errors` per field)',
  401: 'Not authenticated: missing, invalid or expired credentials',
  404: 'Not found',
  403: 'Forbidden (see `code`: email_not_verified, mfa_required)',
  409: 'Conflict (see `code`: e.g. email_taken, mfa_already_enabled)',
  413: 'Request body larger than 16 KiB',
  415: 'Request body is not application/json',
  429: 'Too many attempts; see Retry-After',
  500: 'Unexpected error',
  503: 'Not ready or database unavailable',
};

const problemResponse = (status: number): ResponseConfig => ({
  description: FAILURE_DESCRIPTIONS[status] ?? Object.values(ERRORS).find((entry) => entry.status === status)?.title ?? 'Error',
  content: { 'application/problem+json': { schema: Problem } },
  ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
});

export function buildOpenApiDocument(endpoints: readonly AnyEndpoint[], info: { version: string }) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  if (endpoints.some((definition) => definition.bearer && definition.securityScheme === 'adminBearer')) {
    registry.registerComponent('securitySchemes', 'adminBearer', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token of a user whose role is `admin` (read from the database on every call); while ADMIN_REQUIRE_MFA is true, of a sign-in with a second factor (amr holds otp or mfa).',
    });
  }

  for (const definition of endpoints) {
    const statuses = [...definition.failures, ...(definition.body ? [413, 415] : [])];
    const success: ResponseConfig = {
      description: definition.success.description,
      ...(definition.success.schema ? { content: { 'application/json': { schema: definition.success.schema } } } : {}),
      ...(definition.successHeaders || definition.success.status === 302
        ? {
            headers: Object.fromEntries(
              [...(definition.success.status === 302 ? ['Location'] : []), ...(definition.successHeaders ?? [])].map((name) => [
                name,
                { description: name, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
    };
    registry.registerPath({
      method: definition.method,
      path: definition.path,
      operationId: definition.operationId,
      summary: definition.summary,
      ...(definition.description ? { description: definition.description } : {}),
      tags: [definition.tag],
      security: definition.bearer ? [{ [definition.securityScheme ?? bearer.name]: [] }] : [],
      ...(definition.params || definition.body || definition.query
        ? {
            request: {
              ...(definition.params ? { params: definition.params } : {}),
              ...(definition.query ? { query: definition.query } : {}),
              ...(definition.body ? { body: { required: true, content: { 'application/json': { schema: definition.body } } } } : {}),
            },
          }
        : {}),
      responses: {
        [definition.success.status]: success,
        ...Object.fromEntries([...new Set(statuses)].sort((a, b) => a - b).map((status) => [status, problemResponse(status)])),
      },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'auth-backend',
      version: info.version,
      description:
        'Authentication API: register, login, rotating refresh tokens, logout, password change, email verification and password reset, ' +
        'session management, and the JWKS of ES256/RS256 access tokens.',
      license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'auth', description: 'Accounts, sessions and tokens' },
      { name: 'operations', description: 'Liveness and readiness' },
      { name: 'keys', description: 'Public keys for services that verify access tokens' },
      { name: 'oidc', description: 'Sign in with an OpenID Connect provider, and the identities it links' },
    ],
  });
}
