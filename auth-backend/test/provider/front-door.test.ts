/**
 * The front door (src/http/front-door.ts) serves the provider's machine endpoints past Express:
 * those answers must carry everything any other response carries (security headers, the request
 * id, one log line, the duration metric under the endpoint's path), and every other path, the
 * provider's pages included, still goes through the Express app.
 */
import { startProviderApp, type ProviderTestApp } from '../support/provider-app';
import { APP_CALLBACK } from '../support/provider-flows';

let t: ProviderTestApp;
beforeAll(async () => {
  t = await startProviderApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', CORS_ORIGINS: 'https://console.front-door.example' });
});
afterAll(() => t?.close());

const API = 'https://api.front-door.example/';
const SECURITY_HEADERS = [
  'strict-transport-security',
  'x-content-type-options',
  'content-security-policy',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-opener-policy',
];

const scrape = async () => (await fetch(`http://127.0.0.1:${t.service.services.metricsServer!.port}/metrics`)).text();
const completionLines = (requestId: string) => t.logs().filter((line) => line.reqId === requestId && line.res !== undefined);

describe('the provider’s machine endpoints, past Express', () => {
  it('answer client_credentials with the security headers, the request id echoed, one log line and the route metric', async () => {
    const client = await t.registerClient({ name: 'Job', type: 'confidential', redirectUris: [], grantTypes: ['client_credentials'], resources: [API] });
    const response = await fetch(`${t.issuer}/oidc/token?trace=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'x-request-id': 'front-door-test-1',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('front-door-test-1');
    for (const name of SECURITY_HEADERS) expect(response.headers.get(name)).toEqual(expect.any(String));
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
    expect(response.headers.get('x-powered-by')).toBeNull();

    const lines = completionLines('front-door-test-1');
    expect(lines).toHaveLength(1);
    // The path without its query string, as every other line.
    expect(lines[0]).toEqual(expect.objectContaining({ req: { id: 'front-door-test-1', method: 'POST', path: '/oidc/token' }, res: { statusCode: 200 } }));
    expect(JSON.stringify(lines[0])).not.toContain(client.clientSecret!);

    // The direct lane labels the metric with the endpoint's path (the Express lane never could: unmatched).
    expect(await scrape()).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/oidc\/token",status="200"\} 1/);
  });

  it('answer a bad client the library’s 401 with the same headers and a log line', async () => {
    const response = await fetch(`${t.issuer}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('nobody:nothing').toString('base64')}`,
        'x-request-id': 'front-door-test-2',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    for (const name of SECURITY_HEADERS) expect(response.headers.get(name)).toEqual(expect.any(String));
    expect(completionLines('front-door-test-2')).toEqual([expect.objectContaining({ res: { statusCode: 401 } })]);
  });

  it('serve discovery the same way, and leave the pages, the JSON API and unknown paths to Express', async () => {
    const discovery = await fetch(`${t.issuer}/.well-known/openid-configuration`, { headers: { 'x-request-id': 'front-door-test-3' } });
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(t.issuer);
    expect(completionLines('front-door-test-3')).toHaveLength(1);

    // An authorization request (a page of the provider, through Express and its hooks) and the JSON API.
    const client = await t.registerClient({ name: 'Web', type: 'confidential', redirectUris: [APP_CALLBACK] });
    const authorize = await fetch(
      `${t.issuer}/oidc/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: APP_CALLBACK, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
      { redirect: 'manual' },
    );
    expect(authorize.status).toBe(303);
    expect(authorize.headers.get('location')).toMatch(/^\/oidc\/interaction\//);
    expect((await fetch(`${t.issuer}/health`)).status).toBe(200);
    const unknown = await fetch(`${t.issuer}/oidc/token/nothing-here`);
    expect(unknown.status).toBe(404);
    const text = await scrape();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toMatch(/route="\/.well-known\/openid-configuration",status="200"/);
  });

  it("answer CORS by the library's rule (the client's redirect origins), not the JSON API's CORS_ORIGINS", async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${t.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    // A single-page app's origin: not in CORS_ORIGINS, yet the provider's token endpoint lets it in.
    const spa = await preflight('/oidc/token', 'https://spa.front-door.example');
    expect(spa.status).toBe(204);
    expect(spa.headers.get('access-control-allow-origin')).toBe('https://spa.front-door.example');
    // The JSON API keeps CORS_ORIGINS.
    expect((await preflight('/auth/login', 'https://spa.front-door.example')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('/auth/login', 'https://console.front-door.example')).headers.get('access-control-allow-origin')).toBe(
      'https://console.front-door.example',
    );
  });
});
