/**
 * The container's command (and `npm start`): validate config, wait for the database, bring the
 * schema up to date under a lock, then serve. Any failure before serving ends the process with
 * a message naming the cause and the fix; the API never boots on a half-migrated schema.
 */
import type { Config } from './config/config';
import { readConfigOrReport } from './config/read-config';
import { createLogger, type Logger } from './logger';
import { waitForDatabase, DatabaseUnavailableError } from './db/wait-for-database';
import { withAdvisoryLock, LockTimeoutError } from './db/advisory-lock';
import { syncSchema } from './migrations/schema-sync';
import { checkPendingMigrations } from './migrations/pending-safety';
import { backupBeforeChange } from './migrations/pre-migration-backup';
import { createDatabase } from './db/database';
import { createService } from './app';
import { startServer, type RunningServer } from './server';
import { EXIT, StartupError } from './startup-error';
import { becomeCheckoutOwner } from './ops/run-as-owner';

async function prepareSchema(config: Config, logger: Logger): Promise<void> {
  await waitForDatabase(config.databaseUrl, config.startup.dbWaitTimeout, logger);
  await withAdvisoryLock(config.databaseUrl, { timeoutSeconds: config.startup.migrationLockTimeout, logger }, async () => {
    await checkPendingMigrations(config.databaseUrl, config.startup.migrationSafety, logger);
    return syncSchema({
      databaseUrl: config.databaseUrl,
      logger,
      beforeChange: config.startup.backupBeforeMigrate
        ? async (reason) => void (await backupBeforeChange({ databaseUrl: config.databaseUrl, dir: config.startup.backupDir, reason, logger }))
        : undefined,
    });
  });
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const db = createDatabase(config.databaseUrl, { retryWaitSeconds: config.databaseRetryWait });
  let shuttingDown = false;
  const { handler, lifecycle } = createService({ config, logger, db, isShuttingDown: () => shuttingDown });
  // Set once listening; the signal handlers exist before that, so that a SIGTERM sent as soon as
  // "HTTP server listening" shows never meets the default action (which kills at once).
  let running: RunningServer | undefined = undefined;

  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    // Readiness answers 503 from now on; load balancers stop sending work within a check or two,
    // meanwhile the replica serves what still arrives (SHUTDOWN_DELAY), keep-alive connections closing after each response.
    const delay = running ? config.startup.shutdownDelay : 0;
    if (delay > 0) {
      running?.stopKeepAlive();
      logger.info({ signal, shutdownDelay: delay }, `shutting down: readiness fails now, serving ${delay}s more before draining`);
      await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
    logger.info({ signal }, 'shutting down: no new connections, draining in-flight requests');
    await running?.close();
    // Workers may still write (a delivery in flight), so they stop before the pool closes.
    await lifecycle.stop(config.startup.shutdownTimeout * 1000);
    await db.close();
    logger.info('shutdown complete');
    logger.flush();
    process.exit(EXIT.ok);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal).catch(() => process.exit(EXIT.unexpected)));
  process.on('SIGINT', (signal) => void shutdown(signal).catch(() => process.exit(EXIT.unexpected)));
  // Workers first (hashing threads, the password blocklist, the signing keys, mail delivery): the
  // first request finds everything it needs loaded.
  await lifecycle.start();
  if (shuttingDown) return;
  running = await startServer(handler, {
    port: config.http.port,
    host: config.http.host,
    shutdownTimeoutSeconds: config.startup.shutdownTimeout,
    logger,
    timeouts: config.http.timeouts,
  });
}

function exitCodeOf(error: unknown): number {
  if (error instanceof StartupError) return error.exitCode;
  if (error instanceof DatabaseUnavailableError) return EXIT.databaseUnavailable;
  if (error instanceof LockTimeoutError) return EXIT.migrationLock;
  return EXIT.unexpected;
}

async function main(): Promise<void> {
  const config = readConfigOrReport();
  if (!config) process.exit(EXIT.config);
  const logger = createLogger(config.log);
  if (config.jwt.secretIsEphemeral) logger.warn('JWT_SECRET is not set: using a random secret, so tokens will not survive a restart');
  try {
    // Before anything is written: backups and migrations on the host belong to the checkout's owner.
    const owner = becomeCheckoutOwner(config.startup.backupBeforeMigrate ? [config.startup.backupDir] : []);
    if (owner) logger.info(owner, 'running as the owner of prisma/ (the checkout), not as root');
    await prepareSchema(config, logger);
    // A Kubernetes init container (docker/kubernetes/): migrate under the lock, then leave the serving to the pod's container.
    if (process.argv.includes('--migrate-only')) {
      logger.info('schema ready (--migrate-only): exiting');
      logger.flush();
      setTimeout(() => process.exit(EXIT.ok), 100).unref();
      return;
    }
    await serve(config, logger);
  } catch (error) {
    const exitCode = exitCodeOf(error);
    const message = `start-up failed: ${error instanceof Error ? error.message : String(error)}`;
    logger.fatal({ exitCode, err: exitCode === EXIT.unexpected ? error : undefined }, message);
    logger.flush();
    process.stderr.write(`${message}\n`);
    process.exitCode = exitCode;
    // Let the async destination write the last line, then leave even if handles remain.
    setTimeout(() => process.exit(exitCode), 100).unref();
  }
}

void main();
