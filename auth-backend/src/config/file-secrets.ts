/**
 * Secrets as files (Docker and Kubernetes secrets): `<NAME>_FILE=/run/secrets/...` stands for
 * `<NAME>`, as in the official database images. The file's content is the value, less its trailing
 * newline(s). A secret given both ways is refused: which one wins would be a guess.
 *
 * The database password has a variable of its own, DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE),
 * put into DATABASE_URL at start-up, so that the URL (host, database, options) stays plain
 * configuration and only the password is a secret. A URL that carries a password already is refused
 * together with it.
 */
import fs from 'node:fs';

export const FILE_SECRETS = [
  'JWT_SECRET',
  'PASSWORD_PEPPER',
  'KEY_ENCRYPTION_KEY',
  'KEY_ENCRYPTION_KEY_PREVIOUS',
  'SMTP_URL',
  'DATABASE_URL',
  'DATABASE_PASSWORD',
] as const;

/** The environment with every `<NAME>_FILE` read into `<NAME>`; `problems` gets one line per fault. */
export function resolveFileSecrets(source: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...source };
  for (const name of FILE_SECRETS) {
    const file = source[`${name}_FILE`];
    if (file === undefined || file.trim() === '') continue;
    if (source[name] !== undefined && source[name]!.trim() !== '') {
      problems.push(`${name}: given both as ${name} and as ${name}_FILE: set only one`);
      continue;
    }
    try {
      env[name] = fs.readFileSync(file, 'utf8').replace(/[\r\n]+$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    delete env[`${name}_FILE`];
  }
  const password = env.DATABASE_PASSWORD;
  delete env.DATABASE_PASSWORD;
  if (password !== undefined && password !== '' && env.DATABASE_URL !== undefined) {
    const url = withPassword(env.DATABASE_URL, password);
    if (url === 'has-password') problems.push('DATABASE_PASSWORD: given both in DATABASE_URL and as DATABASE_PASSWORD(_FILE): set only one');
    else if (url !== undefined) env.DATABASE_URL = url;
  }
  return env;
}

/** DATABASE_URL with the password set; 'has-password' when it has one; undefined when not a URL (the schema says why). */
function withPassword(databaseUrl: string, password: string): string | 'has-password' | undefined {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return undefined;
  }
  if (url.password !== '') return 'has-password';
  url.password = encodeURIComponent(password);
  return url.toString();
}
