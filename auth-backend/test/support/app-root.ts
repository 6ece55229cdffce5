import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const realRoot = path.resolve(__dirname, '../..');
export const INIT_MIGRATION = '20261125000000_init';
/** Every migration the project ships, oldest first (a fresh database gets all of them). */
export const PROJECT_MIGRATIONS = fs
  .readdirSync(path.join(realRoot, 'prisma', 'migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

export interface AppRootOptions {
  /** Schema text; the project's schema.prisma when omitted. */
  schema?: string;
  /** Migrations to ship: name -> SQL. `'project'` copies the project's migrations; omitted: no folder. */
  migrations?: Record<string, string> | 'project';
}

/**
 * A throw-away app root for the built entrypoint (APP_ROOT): its own prisma/ folder, the
 * project's prisma.config.ts, and links to the real node_modules, src, dist and scripts (operator commands build through scripts/ensure-built.mjs).
 */
export function makeAppRoot(options: AppRootOptions = {}): {
  dir: string;
  writeSchema(text: string): void;
  addMigration(name: string, sql: string): void;
  remove(): void;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-app-'));
  for (const linked of ['node_modules', 'src', 'dist', 'scripts']) fs.symlinkSync(path.join(realRoot, linked), path.join(dir, linked));
  fs.copyFileSync(path.join(realRoot, 'prisma.config.ts'), path.join(dir, 'prisma.config.ts'));
  fs.copyFileSync(path.join(realRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.mkdirSync(path.join(dir, 'prisma'));
  const writeSchema = (text: string) => fs.writeFileSync(path.join(dir, 'prisma', 'schema.prisma'), text);
  const addMigration = (name: string, sql: string) => {
    fs.mkdirSync(path.join(dir, 'prisma', 'migrations', name), { recursive: true });
    fs.writeFileSync(path.join(dir, 'prisma', 'migrations', name, 'migration.sql'), sql);
  };
  writeSchema(options.schema ?? projectSchema());
  if (options.migrations === 'project') {
    fs.cpSync(path.join(realRoot, 'prisma', 'migrations'), path.join(dir, 'prisma', 'migrations'), { recursive: true });
  } else if (options.migrations) {
    for (const [name, sql] of Object.entries(options.migrations)) addMigration(name, sql);
  }
  return { dir, writeSchema, addMigration, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function projectSchema(): string {
  return fs.readFileSync(path.join(realRoot, 'prisma', 'schema.prisma'), 'utf8');
}

export function projectMigrationSql(name = INIT_MIGRATION): string {
  return fs.readFileSync(path.join(realRoot, 'prisma', 'migrations', name, 'migration.sql'), 'utf8');
}

/** Every migration the project ships, name -> SQL: the schema a serving service needs (v4 starts the key ring in every mode). */
export const projectMigrations = (): Record<string, string> => Object.fromEntries(PROJECT_MIGRATIONS.map((name) => [name, projectMigrationSql(name)]));

/** The name of a test's own migration, after every migration the project ships. */
export const afterProjectMigrations = (name: string) => `20991231000000_${name}`;
