/** PUBLIC_URL is the OpenID Provider's issuer (v4): an https origin, or loopback http, in any NODE_ENV. */
import { loadConfig, publicUrlProblem } from '../../src/config/config';

describe('PUBLIC_URL', () => {
  it.each([
    'https://auth.example.com',
    'https://auth.example.com:8443',
    'http://127.0.0.1:3000',
    'http://localhost:3000',
    'http://[::1]:3000',
    'http://127.1.2.3',
  ])('accepts %s', (value) => expect(publicUrlProblem(value)).toBeUndefined());

  it.each([
    ['http://auth.example.com', /must be https, or http on a loopback address/],
    ['http://10.0.0.5:3000', /must be https/],
    ['https://auth.example.com/auth', /must be an origin/],
    ['https://auth.example.com/?x=1', /must be an origin/],
    ['https://user:pass@auth.example.com', /must be an origin/],
  ])('refuses %s', (value, message) => expect(publicUrlProblem(value)).toMatch(message));

  it('stops the configuration with one line naming the variable, in production too', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://x/y', PUBLIC_URL: 'http://auth.example.com' })).toThrow(
      /PUBLIC_URL: must be https/,
    );
    // A trailing slash is not a path.
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://x/y', PUBLIC_URL: 'https://auth.example.com/' }).oidc.publicUrl).toBe(
      'https://auth.example.com',
    );
  });
});
