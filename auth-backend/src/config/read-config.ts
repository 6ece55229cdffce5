import { ConfigError, loadConfig, type Config } from './config';

/** The configuration, or undefined after writing one `config error:` line per bad variable to stderr. */
export function readConfigOrReport(source: NodeJS.ProcessEnv = process.env): Config | undefined {
  try {
    return loadConfig(source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    return undefined;
  }
}
