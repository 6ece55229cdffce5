import fs from 'node:fs';
import bcrypt from 'bcrypt';
import { PasswordHasher } from '../../src/passwords/password-hasher';
import { HASHING_NICENESS, HashingStoppedError } from '../../src/passwords/hashing-pool';

const PEPPER = 'a pepper of at least thirty-two bytes, for tests';

/** Niceness of one thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
const nicenessOf = (tid: string | number): number => {
  const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};
/** Niceness of each thread of this process. */
function threadNiceness(): number[] {
  return fs.readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [nicenessOf(tid)];
    } catch {
      return []; // the thread ended while we listed them
    }
  });
}
/** The main thread's id is the process id (the listing is not in creation order once pids wrap). */
const mainThreadNiceness = () => nicenessOf(process.pid);
const lowPriorityThreads = () => threadNiceness().filter((nice) => nice === HASHING_NICENESS).length;
const onLinux = process.platform === 'linux' ? it : it.skip;

describe('PasswordHasher on worker threads', () => {
  const hashers: PasswordHasher[] = [];
  const newHasher = (concurrency: number, cost = 10) => {
    const hasher = new PasswordHasher(PEPPER, cost, concurrency);
    hashers.push(hasher);
    return hasher;
  };
  afterEach(async () => {
    await Promise.all(hashers.splice(0).map((hasher) => hasher.stop()));
  });

  it('hashes over the pepper pre-hash and verifies, off the main thread', async () => {
    const hasher = newHasher(2);
    const stored = await hasher.hash('correct horse battery staple');
    expect(bcrypt.getRounds(stored)).toBe(10);
    // The stored hash is of the pre-hash, never of the password itself.
    expect(await bcrypt.compare('correct horse battery staple', stored)).toBe(false);
    await expect(hasher.verify('correct horse battery staple', stored)).resolves.toEqual({ ok: true, needsRehash: false });
    await expect(hasher.verify('wrong horse battery staple', stored)).resolves.toEqual({ ok: false, needsRehash: false });
    await expect(hasher.verifyAgainstDummy('correct horse battery staple')).resolves.toBe(false);
  });

  it('asks for a rehash when the stored hash has a lower cost than configured', async () => {
    const stored = await newHasher(1, 10).hash('a passphrase to upgrade');
    await expect(newHasher(1, 11).verify('a passphrase to upgrade', stored)).resolves.toEqual({ ok: true, needsRehash: true });
  });

  onLinux('runs one thread per PASSWORD_HASH_CONCURRENCY at the lowest OS priority, and stop() ends them', async () => {
    const before = lowPriorityThreads();
    const hasher = newHasher(3);
    hasher.start();
    await Promise.all([hasher.hash('one passphrase'), hasher.hash('two passphrase'), hasher.hash('three passphrase')]);
    expect(lowPriorityThreads()).toBe(before + 3);
    // The main thread keeps its priority: only the hashing threads were reniced.
    expect(mainThreadNiceness()).toBe(0);
    await hasher.stop();
    expect(lowPriorityThreads()).toBe(before);
  });

  onLinux('starts threads only when needed until start() is called', async () => {
    const before = lowPriorityThreads();
    const hasher = newHasher(4);
    await hasher.hash('a lazily hashed passphrase');
    expect(lowPriorityThreads() - before).toBeLessThan(4);
    hasher.start();
    await hasher.hash('another passphrase');
    expect(lowPriorityThreads() - before).toBe(4);
  });

  it('keeps the process alive only while a hash is in flight: idle threads, started or used, do not', async () => {
    // What keeps the event loop alive (Node lists only referenced resources).
    const holding = () => process.getActiveResourcesInfo().filter((type) => type === 'MessagePort' || type === 'Worker').length;
    const before = holding();
    const hasher = newHasher(2);
    hasher.start();
    // Started, its dummy hash done, then idle (v4's jest runs did not end: such a thread held its port for ever).
    for (const deadline = Date.now() + 10_000; holding() > before && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(holding()).toBe(before);
    const hashing = hasher.hash('correct horse battery staple');
    expect(holding()).toBeGreaterThan(before);
    await hashing;
    expect(holding()).toBe(before);
  });

  it('fails the hashes in flight or queued when stopped, and hashes again afterwards', async () => {
    const hasher = newHasher(1, 12);
    const outcomes = Promise.allSettled([hasher.hash('a passphrase hashed while stopping'), hasher.hash('a passphrase queued while stopping')]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await hasher.stop();
    const [inFlight, queued] = await outcomes;
    expect(inFlight).toMatchObject({ status: 'rejected', reason: expect.any(HashingStoppedError) });
    expect(queued).toMatchObject({ status: 'rejected', reason: expect.any(HashingStoppedError) });
    const stored = await hasher.hash('a passphrase after the restart');
    await expect(hasher.verify('a passphrase after the restart', stored)).resolves.toMatchObject({ ok: true });
  });
});
