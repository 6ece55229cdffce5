/**
 * The OpenID Connect providers of OIDC_PROVIDERS=google,acme and their OIDC_<ID>_* variables,
 * read by loadConfig (config.ts): one problem line per bad or missing variable.
 */
export interface OidcProviderConfig {
  /** Lower case, as in the URLs (/auth/oidc/<id>/start). */
  readonly id: string;
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: string;
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An issuer is https, or plain http on loopback or outside production (a provider on the developer's machine). */
function issuerProblem(value: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL like https://accounts.google.com`;
  }
  if (url.search || url.hash || url.username || url.password) return 'must be the issuer identifier: no query, fragment or credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (!production || LOOPBACK.has(url.hostname))) return undefined;
  return production ? 'must be an https:// URL in production (plain http only on loopback)' : 'must be an http:// or https:// URL';
}

/** Parses the providers; `problems` gets one `VARIABLE: message` line per problem. */
export function parseOidcProviders(source: NodeJS.ProcessEnv, production: boolean, problems: string[]): OidcProviderConfig[] {
  const list = (source.OIDC_PROVIDERS ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  const providers: OidcProviderConfig[] = [];
  for (const id of new Set(list)) {
    if (!ID.test(id)) {
      problems.push(`OIDC_PROVIDERS: "${id}" is not a provider id (a letter, then letters, digits or -, at most 32)`);
      continue;
    }
    const prefix = `OIDC_${id.toUpperCase().replace(/-/g, '_')}_`;
    const read = (name: string) => {
      const value = source[prefix + name]?.trim();
      return value ? value : undefined;
    };
    const required = (name: string) => {
      const value = read(name);
      if (value === undefined) problems.push(`${prefix}${name}: is required for provider "${id}" (OIDC_PROVIDERS)`);
      return value ?? '';
    };
    const issuer = required('ISSUER');
    const clientId = required('CLIENT_ID');
    const clientSecret = required('CLIENT_SECRET');
    const problem = issuer ? issuerProblem(issuer, production) : undefined;
    if (problem) problems.push(`${prefix}ISSUER: ${problem}`);
    const scopes = (read('SCOPES') ?? 'openid email profile').split(/[\s,]+/).filter(Boolean);
    if (!scopes.includes('openid')) problems.push(`${prefix}SCOPES: must include openid, got "${scopes.join(' ')}"`);
    providers.push({ id, name: read('NAME') ?? id, issuer, clientId, clientSecret, scopes: scopes.join(' ') });
  }
  return providers;
}
