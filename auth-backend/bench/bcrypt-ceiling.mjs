// The bcrypt ceiling: password checks per second at a cost with every core busy, whatever the
// service is configured to: run.mjs asks for twice as many compares in flight as CPUs and sets
// UV_THREADPOOL_SIZE to match (the async compare runs on libuv's pool).
//   UV_THREADPOOL_SIZE=N node bench/bcrypt-ceiling.mjs COST SECONDS N
// (run.mjs also runs it under `nice -n 19`, the hashing threads' priority).
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';

const cost = Number(process.argv[2] ?? 12);
const seconds = Number(process.argv[3] ?? 8);
const threads = Number(process.argv[4] ?? Math.max(4, availableParallelism() * 2));
const hash = await bcrypt.hash('benchmark password', cost);

let done = 0;
const until = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(
  Array.from({ length: threads }, async () => {
    while (Date.now() < until) {
      await bcrypt.compare('benchmark password', hash);
      done++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ cost, threads, comparesPerSecond: done / ((Date.now() - started) / 1000) })}\n`);
