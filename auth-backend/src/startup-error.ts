/** Exit codes of the entrypoint, documented in docs/operations.md. */
export const EXIT = {
  ok: 0,
  config: 1,
  databaseUnavailable: 2,
  migrationLock: 3,
  migrationFailed: 4,
  dataLoss: 5,
  backupFailed: 6,
  unsafeMigration: 7,
  unexpected: 70,
} as const;

/** A failure that stops the start: its message names the cause and the command that fixes it. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
