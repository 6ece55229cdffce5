/**
 * Files this service writes into bind mounts (pre-migration backups, new migrations) must belong
 * to whoever owns the checkout on the host, whatever their uid: root, 1000, 1001... The image
 * therefore starts as root, and every command of ours that writes (the entrypoint, db:migrate)
 * first takes the uid and gid of the owner of prisma/ (the host's auth-backend/prisma under
 * Docker Compose; the image's own copy, owned by `node`, otherwise) and drops root for good.
 * Folders it must write into and that Docker created as root (a missing ./backups) are handed
 * to that owner first. Outside a container, run as a normal user, nothing changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appRoot } from '../paths';

export interface Owner {
  uid: number;
  gid: number;
}

export const ownerOf = (dir: string): Owner => {
  const { uid, gid } = fs.statSync(dir);
  return { uid, gid };
};

/**
 * As root: make each of `writableDirs` exist and belong to the owner of prisma/ (only when
 * root owns it: a folder the owner already has is left alone), then become that owner. Returns
 * the owner taken, or undefined when not running as root (or when root owns the checkout).
 */
export function becomeCheckoutOwner(writableDirs: string[] = []): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const owner = ownerOf(path.join(appRoot(), 'prisma'));
  if (owner.uid === 0) return undefined;
  for (const dir of writableDirs) {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.statSync(dir).uid === 0) fs.chownSync(dir, owner.uid, owner.gid);
  }
  process.setgroups!([owner.gid]);
  process.setgid!(owner.gid);
  process.setuid!(owner.uid);
  // root's HOME is not readable any more; tools that look there (libpq's ~/.pgpass) must not fail.
  if (process.env.HOME === '/root') process.env.HOME = '/tmp';
  return owner;
}
