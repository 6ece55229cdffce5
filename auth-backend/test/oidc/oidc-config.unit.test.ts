/** OIDC_PROVIDERS, OIDC_<ID>_*, PUBLIC_URL and REDIRECT_ALLOWLIST, read once at start-up (src/config). */
import { ConfigError, loadConfig } from '../../src/config/config';

const base = { DATABASE_URL: 'postgresql://localhost/x', NODE_ENV: 'test' };
const production = {
  ...base,
  NODE_ENV: 'production',
  JWT_SECRET: 'p'.repeat(40),
  PASSWORD_PEPPER: 'q'.repeat(40),
  KEY_ENCRYPTION_KEY: 'r'.repeat(40),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the OpenID Connect configuration', () => {
  it('has no provider by default; the callback base is localhost and the allowlist APP_URL’s origin', () => {
    const config = loadConfig({ ...base, APP_URL: 'https://app.example.com/base/' });
    expect(config.oidc).toEqual({ providers: [], publicUrl: 'http://localhost:3000', redirectOrigins: ['https://app.example.com'] });
  });

  it('reads each provider of OIDC_PROVIDERS with its defaults', () => {
    const config = loadConfig({
      ...base,
      OIDC_PROVIDERS: 'Google, acme-sso',
      OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_CLIENT_ID: 'id-1',
      OIDC_GOOGLE_CLIENT_SECRET: 'secret-1',
      OIDC_GOOGLE_NAME: 'Google',
      OIDC_ACME_SSO_ISSUER: 'https://sso.acme.test/realms/staff',
      OIDC_ACME_SSO_CLIENT_ID: 'id-2',
      OIDC_ACME_SSO_CLIENT_SECRET: 'secret-2',
      OIDC_ACME_SSO_SCOPES: 'openid email',
      PUBLIC_URL: 'https://auth.example.com/',
      REDIRECT_ALLOWLIST: 'https://app.example.com, https://admin.example.com:8443',
    });
    expect(config.oidc).toEqual({
      providers: [
        { id: 'google', name: 'Google', issuer: 'https://accounts.google.com', clientId: 'id-1', clientSecret: 'secret-1', scopes: 'openid email profile' },
        { id: 'acme-sso', name: 'acme-sso', issuer: 'https://sso.acme.test/realms/staff', clientId: 'id-2', clientSecret: 'secret-2', scopes: 'openid email' },
      ],
      publicUrl: 'https://auth.example.com',
      redirectOrigins: ['https://app.example.com', 'https://admin.example.com:8443'],
    });
  });

  it('stops with one clear line per problem', () => {
    expect(
      problemsOf({
        ...production,
        OIDC_PROVIDERS: 'google,acme,bad_id!',
        OIDC_GOOGLE_ISSUER: 'http://accounts.google.com',
        OIDC_GOOGLE_CLIENT_ID: 'id',
        OIDC_ACME_ISSUER: 'not a url',
        OIDC_ACME_CLIENT_ID: 'id',
        OIDC_ACME_CLIENT_SECRET: 'secret',
        OIDC_ACME_SCOPES: 'email profile',
      }),
    ).toEqual([
      'OIDC_GOOGLE_CLIENT_SECRET: is required for provider "google" (OIDC_PROVIDERS)',
      'OIDC_GOOGLE_ISSUER: must be an https:// URL in production (plain http only on loopback)',
      'OIDC_ACME_ISSUER: "not a url" is not a URL like https://accounts.google.com',
      'OIDC_ACME_SCOPES: must include openid, got "email profile"',
      'OIDC_PROVIDERS: "bad_id!" is not a provider id (a letter, then letters, digits or -, at most 32)',
      'PUBLIC_URL: is required in production when OIDC_PROVIDERS is set',
    ]);
    expect(problemsOf({ ...base, REDIRECT_ALLOWLIST: 'https://app.example.com/path' })).toEqual([
      'REDIRECT_ALLOWLIST: "https://app.example.com/path" is not an origin like https://app.example.com',
    ]);
  });

  it('accepts a plain-http issuer on loopback in production, and anywhere outside production', () => {
    const provider = { OIDC_PROVIDERS: 'local', OIDC_LOCAL_CLIENT_ID: 'id', OIDC_LOCAL_CLIENT_SECRET: 'secret', PUBLIC_URL: 'https://auth.example.com' };
    expect(problemsOf({ ...production, ...provider, OIDC_LOCAL_ISSUER: 'http://127.0.0.1:4400' })).toEqual([]);
    expect(problemsOf({ ...base, ...provider, OIDC_LOCAL_ISSUER: 'http://keycloak.internal:8080/realms/dev' })).toEqual([]);
  });
});
