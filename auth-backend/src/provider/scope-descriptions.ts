/** What each scope gives an application, in the words the consent page uses. */
const SCOPES: Record<string, string> = {
  openid: 'Know who you are (your account id)',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected to your account when you are not using it',
};

/** The consent page's list: the scopes asked for, then the APIs the application may call for you. */
export function permissionsOf(scopes: readonly string[], resources: readonly string[]): string[] {
  const known = scopes.filter((scope) => scope in SCOPES).map((scope) => SCOPES[scope]!);
  return [...known, ...resources.map((resource) => `Call ${resource} for you`)];
}
