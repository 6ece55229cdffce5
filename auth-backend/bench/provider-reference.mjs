// bench/provider.mjs's reference: oidc-provider (the version the service runs) alone, with its
// in-memory adapter, one static confidential client and an ES256 key, client_credentials with a
// resource -> JWT access tokens, as the service is configured. Prints one line when it listens.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const API = 'https://api.bench/';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const provider = new Provider(`http://127.0.0.1:${process.env.PORT}`, {
  clients: [{ client_id: 'bench-job', client_secret: 'bench-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }] },
  routes: { token: '/oidc/token' },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      getResourceServerInfo: () => ({
        scope: 'openid profile email',
        audience: API,
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
