// Preloaded (node --require) into Prisma CLI processes by test/db/offline.test.ts: records and
// refuses every attempt to resolve or reach a host other than this machine.
const dns = require('node:dns');
const net = require('node:net');
const fs = require('node:fs');

const record = (line) => fs.appendFileSync(process.env.NETWORK_LOG, `${line}\n`);
const isLocal = (host) => !host || host === 'localhost' || host.startsWith('127.') || host === '::1' || host.startsWith('/');

const originalLookup = dns.lookup;
dns.lookup = function lookup(host, ...rest) {
  if (isLocal(host)) return originalLookup.call(this, host, ...rest);
  record(`dns ${host}`);
  const callback = rest[rest.length - 1];
  const error = Object.assign(new Error(`network refused by test: ${host}`), { code: 'ENOTFOUND' });
  process.nextTick(() => callback(error));
  return undefined;
};
const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(host, ...rest) {
  if (isLocal(host)) return originalPromiseLookup.call(this, host, ...rest);
  record(`dns ${host}`);
  throw Object.assign(new Error(`network refused by test: ${host}`), { code: 'ENOTFOUND' });
};
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : typeof args[0] === 'object' ? args[0] : { port: args[0], host: args[1] };
  const host = options && (options.host || options.path);
  if (!isLocal(host)) record(`connect ${host}`);
  return originalConnect.apply(this, args);
};
