/** WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS, read once at start-up (src/config/webauthn.ts). */
import { ConfigError, loadConfig } from '../../src/config/config';

const base = { DATABASE_URL: 'postgresql://localhost/auth_service' };
const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('the WebAuthn relying party configuration', () => {
  it("defaults to PUBLIC_URL's host as RP id, auth-backend as name, and the origins of PUBLIC_URL and APP_URL", () => {
    expect(loadConfig(base).webauthn).toEqual({ rpId: 'localhost', rpName: 'auth-backend', origins: ['http://localhost:3000'] });
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://auth.example.com/', APP_URL: 'https://auth.example.com/app' }).webauthn).toEqual({
      rpId: 'auth.example.com',
      rpName: 'auth-backend',
      origins: ['https://auth.example.com'],
    });
    expect(
      loadConfig({
        ...base,
        PUBLIC_URL: 'https://auth.example.com',
        APP_URL: 'https://app.example.com:8443',
        WEBAUTHN_RP_ID: 'Example.com',
        WEBAUTHN_RP_NAME: 'Example',
      }).webauthn,
    ).toEqual({ rpId: 'example.com', rpName: 'Example', origins: ['https://auth.example.com', 'https://app.example.com:8443'] });
  });

  it('leaves out a default origin that is not on the RP id (no browser would use it), so such an install still starts', () => {
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://auth.example.com', APP_URL: 'https://app.example.org' }).webauthn.origins).toEqual([
      'https://auth.example.com',
    ]);
  });

  it('takes WEBAUTHN_ORIGINS as given, and refuses one that is not on the RP id, or an RP id that is not a domain, one line each', () => {
    expect(loadConfig({ ...base, WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.com, https://id.example.com' }).webauthn.origins).toEqual([
      'https://example.com',
      'https://id.example.com',
    ]);
    expect(problemsOf({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.com,https://evil-example.com' })).toEqual([
      'WEBAUTHN_ORIGINS: the origin https://evil-example.com is not on the RP id example.com (its host must be example.com or a subdomain of it)',
    ]);
    expect(problemsOf({ WEBAUTHN_RP_ID: 'https://example.com' })).toEqual([
      'WEBAUTHN_RP_ID: "https://example.com" is not a domain name like example.com (no scheme, no port)',
    ]);
    expect(problemsOf({ WEBAUTHN_ORIGINS: 'example.com' })).toEqual(['WEBAUTHN_ORIGINS: "example.com" is not an origin like https://app.example.com']);
  });
});
