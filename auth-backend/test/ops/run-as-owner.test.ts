/**
 * src/ops/run-as-owner.ts, run for real as root (the container's situation): the process takes the
 * uid/gid of the owner of prisma/, and a folder Docker created as root for it is handed over first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const dist = path.resolve(__dirname, '../../dist/ops/run-as-owner.js');
const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)(`becomeCheckoutOwner${asRoot ? '' : ' (skipped: needs root)'}`, () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'owner-'));
    fs.mkdirSync(path.join(root, 'prisma'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = (dirs: string[]) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `const o = require(${JSON.stringify(dist)}).becomeCheckoutOwner(${JSON.stringify(dirs)}); console.log(JSON.stringify({ o, uid: process.getuid(), gid: process.getgid(), groups: process.getgroups() }))`,
      ],
      { env: { PATH: process.env.PATH, APP_ROOT: root, HOME: '/root' }, encoding: 'utf8' },
    );

  it('becomes uid 1001 when uid 1001 owns prisma/, and hands it a missing or root-owned folder to write into', () => {
    fs.chownSync(path.join(root, 'prisma'), 1001, 1001);
    const rootOwned = path.join(root, 'backups');
    fs.mkdirSync(rootOwned);
    const missing = path.join(root, 'more', 'backups');
    const result = run([rootOwned, missing]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ o: { uid: 1001, gid: 1001 }, uid: 1001, gid: 1001, groups: [1001] });
    for (const dir of [rootOwned, missing]) expect(fs.statSync(dir)).toMatchObject({ uid: 1001, gid: 1001 });
  });

  it('leaves a folder that already belongs to someone else alone', () => {
    fs.chownSync(path.join(root, 'prisma'), 1001, 1001);
    const theirs = path.join(root, 'backups');
    fs.mkdirSync(theirs);
    fs.chownSync(theirs, 1002, 1002);
    expect(run([theirs]).status).toBe(0);
    expect(fs.statSync(theirs)).toMatchObject({ uid: 1002 });
  });

  it('stays root when root owns the checkout', () => {
    const result = run([path.join(root, 'backups')]);
    expect(JSON.parse(result.stdout)).toMatchObject({ uid: 0 });
  });
});
