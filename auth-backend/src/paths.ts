import path from 'node:path';

/**
 * The directory that holds package.json, prisma.config.ts, prisma/ and node_modules/.
 * `APP_ROOT` overrides it (the entrypoint tests run the built service against their own
 * prisma/ folders); otherwise it is the parent of src/ or dist/.
 */
export function appRoot(): string {
  return path.resolve(process.env.APP_ROOT ?? path.join(__dirname, '..'));
}

export const migrationsDir = (root = appRoot()) => path.join(root, 'prisma', 'migrations');
export const prismaCliPath = (root = appRoot()) => path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
