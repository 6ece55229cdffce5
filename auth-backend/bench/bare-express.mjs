// The baseline of the benchmark: a bare Express 5 app returning a small JSON, nothing else.
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
