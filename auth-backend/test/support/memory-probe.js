// Preloaded (NODE_OPTIONS=--expose-gc --require) into the built service by the soak test: on
// SIGUSR2, full garbage collections, then one JSON line with the memory the process still holds.
// What survives a full collection is what a leak accumulates; resident memory alone also moves
// with V8's heap sizing and the allocator, by tens of MiB between runs.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ msg: 'memory probe', heapUsed, external, rss })}\n`);
});
