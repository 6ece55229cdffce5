/** The console's pure pieces: where a sign-in may return to (the browser names are notifications/device.ts's, tested there). */
import { isConsolePath } from '../../src/console/console-access';

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
