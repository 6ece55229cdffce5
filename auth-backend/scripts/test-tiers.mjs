// `npm test`: the fast tier first (pure logic, no database: jest.unit.config.js), then two jest
// processes at once, each running its files one at a time: the tests on PostgreSQL, real HTTP
// servers and browsers, and the container suite (test/container/, a Docker engine), which spends
// most of its time waiting on the engine. Arguments go to every jest run; with
// `--json --outputFile=F` the three results are merged into F (what .ci/run reads).
// Plain JavaScript on purpose: it runs before anything is compiled.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const args = process.argv.slice(2);
const output = args.find((arg) => arg.startsWith('--outputFile='))?.slice('--outputFile='.length);
const passOn = args.filter((arg) => !arg.startsWith('--outputFile='));

// --forceExit: a handle left open by one suite (v4: an idle hashing thread's port) once kept a tier's
// jest alive after its results, and CI waited until its time limit; the results are what count.
const TIERS = {
  unit: ['-c', 'jest.unit.config.js'],
  database: ['--runInBand', '--forceExit', '--testPathIgnorePatterns', '/node_modules/', '\\.unit\\.test\\.ts$', '/test/container/'],
  container: ['--runInBand', '--forceExit', 'test/container/'],
};

/** Runs one tier; its lines are prefixed with its name when another runs beside it. */
function run(tier, prefixed) {
  const file = output && `${output}.${tier}`;
  const child = spawn(process.execPath, [jest, ...TIERS[tier], ...passOn, ...(file ? [`--outputFile=${file}`] : [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [stream, sink] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    createInterface({ input: stream }).on('line', (line) => sink.write(prefixed ? `[${tier}] ${line}\n` : `${line}\n`));
  }
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ tier, file, status: code ?? (signal ? 1 : 0) })));
}

function merge(results) {
  const parts = results.filter((result) => result.file && fs.existsSync(result.file)).map((result) => JSON.parse(fs.readFileSync(result.file, 'utf8')));
  if (!output || parts.length === 0) return;
  const sum = (key) => parts.reduce((total, part) => total + (part[key] ?? 0), 0);
  const merged = {
    ...parts[0],
    success: results.every((result) => result.status === 0),
    startTime: Math.min(...parts.map((part) => part.startTime)),
    testResults: parts.flatMap((part) => part.testResults),
  };
  for (const key of Object.keys(parts[0]).filter((key) => /^num/.test(key))) merged[key] = sum(key);
  fs.writeFileSync(output, JSON.stringify(merged));
  for (const result of results) if (result.file) fs.rmSync(result.file, { force: true });
}

const unit = await run('unit', false);
const results = [unit];
if (unit.status === 0) results.push(...(await Promise.all([run('database', true), run('container', true)])));
merge(results);
const failed = results.filter((result) => result.status !== 0).map((result) => result.tier);
if (failed.length > 0) process.stderr.write(`\ntest tiers that failed: ${failed.join(', ')}${unit.status !== 0 ? ' (the other tiers did not run)' : ''}\n`);
process.exit(failed.length > 0 ? 1 : 0);
