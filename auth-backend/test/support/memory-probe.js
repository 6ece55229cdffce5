// Preloaded (NODE_OPTIONS=--expose-gc --require) into the built service by the soak test: on
// SIGUSR2, full garbage collections, then one JSON line with the memory the process still holds,
// in the JS heap and outside it. What survives a full collection is what a leak accumulates.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ msg: 'memory probe', heapUsed, external })}\n`);
});
