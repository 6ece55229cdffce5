/** The console's pure pieces: the browser a user agent names, and where a sign-in may return to. */
import { browserName } from '../../src/console/browser-name';
import { isConsolePath } from '../../src/console/console-access';

describe('browserName', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1', 'Chrome on iOS'],
    ['curl/8.5.0', 'curl'],
    [null, 'Unknown browser'],
  ])('names %s as %s', (userAgent, name) => {
    expect(browserName(userAgent)).toBe(name);
  });
});

describe('isConsolePath', () => {
  it.each(['/console', '/console/users', '/console/users?search=ada&cursor=abc', '/console/users/0b5e-1'])('accepts %s', (path) => {
    expect(isConsolePath(path)).toBe(true);
  });
  it.each([
    '//evil.example/console',
    'https://evil.example/console',
    '/console//evil.example',
    '/consoleevil',
    '/console/../admin',
    '/oidc/auth',
    '/console/\\evil',
  ])('refuses %s', (path) => {
    expect(isConsolePath(path)).toBe(false);
  });
});
