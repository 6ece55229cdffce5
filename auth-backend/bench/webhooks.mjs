// Webhook delivery (the v4 target: ">= 500 deliveries/s to a local receiver; a hanging endpoint
// leaves a healthy one's p99 under 1 s"). By hand:
// `npm run build && node bench/webhooks.mjs [--deliveries 10000] [--seconds 20] [--rate 50]`
// (DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to use a running server).
//
// The built service in production mode (WEBHOOK_ALLOW_INSECURE=true: the receivers are plain http
// on loopback), its defaults otherwise (10-second timeout, 32 deliveries at once, 4 per endpoint).
// 1. Throughput: `--deliveries` queued at once (one INSERT, then the NOTIFY every enqueue sends)
//    for one endpoint answering 204 at once; rate = deliveries / (last received - NOTIFY).
// 2. Isolation: a hanging endpoint (never answers) and a healthy one both subscribed; for
//    `--seconds`, `--rate` events a second, each queued for both; the healthy one's latency is
//    received - queued, reported as p50/p99/max.
import http from 'node:http';
import pg from 'pg';
import { json, machineTicks, median, option, processCpuMicros, register, resultsDir, sleep, withBuiltService } from './service.mjs';

const DELIVERIES = Number(option('deliveries', 10000));
const SECONDS = Number(option('seconds', 20));
const RATE = Number(option('rate', 50));
const ROUNDS = Number(option('rounds', 3));

function receiver(respond) {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ at: Date.now(), id: req.headers['webhook-id'], body });
      if (respond === 'hang') return;
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hooks`,
        received,
        stop: () => (server.closeAllConnections(), new Promise((done) => server.close(done))),
      }),
    ),
  );
}

const PAYLOAD = (i) => ({
  type: 'user.login',
  timestamp: new Date().toISOString(),
  data: {
    event: {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'user.login',
      at: new Date().toISOString(),
      userId: null,
      data: { amr: ['pwd'] },
    },
    user: {
      id: '00000000-0000-4000-8000-000000000000',
      email: 'bench@example.com',
      name: null,
      createdAt: new Date().toISOString(),
      emailVerified: true,
      mfaEnabled: false,
    },
  },
});

async function queue(client, webhookIds, count, offset = 0) {
  await client.query(
    `INSERT INTO webhook_delivery (id, "webhookId", "eventType", payload, "createdAt", "nextAttemptAt")
     SELECT gen_random_uuid(), w, 'user.login', jsonb_set($2::jsonb, '{data,event,data,n}', to_jsonb(n)), clock_timestamp(), clock_timestamp()
       FROM generate_series($3::int, $3::int + $4::int - 1) AS n, unnest($1::uuid[]) AS w`,
    [webhookIds, JSON.stringify(PAYLOAD(offset)), offset, count],
  );
  await client.query(`NOTIFY webhook_delivery_queued`);
}

/** CPU time of every PostgreSQL backend on the bench's database (same machine; /proc), µs. */
async function databaseCpuMicros(client) {
  const { rows } = await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  let total = 0;
  for (const { pid } of rows) {
    try {
      total += processCpuMicros(pid);
    } catch {
      // A backend that ended meanwhile.
    }
  }
  return total;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)];

await withBuiltService(
  {
    logFile: `${resultsDir}/webhooks.log`,
    env: {
      WEBHOOK_ALLOW_INSECURE: 'true',
      LOG_LEVEL: 'warn',
      ADMIN_REQUIRE_MFA: 'false',
      ...(process.env.BENCH_WEBHOOK_ENV ? JSON.parse(process.env.BENCH_WEBHOOK_ENV) : {}),
    },
  },
  async ({ url, db, service }) => {
    const admin = await register(url, `bench-admin-${Date.now()}@example.com`, 'a perfectly good passphrase');
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [admin.user.id]);
    const create = async (target) => {
      const response = await fetch(`${url}/admin/webhooks`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${admin.accessToken}` },
        body: JSON.stringify({ url: target, events: ['user.login'] }),
      });
      if (response.status !== 201) throw new Error(`POST /admin/webhooks answered ${response.status}: ${await response.text()}`);
      return (await response.json()).webhook.id;
    };
    const results = { throughput: [], isolation: [], cpu: [] };

    // 1. Throughput.
    const fast = await receiver();
    const fastId = await create(fast.url);
    for (let round = 0; round < ROUNDS; round++) {
      fast.received.length = 0;
      const started = Date.now();
      const cpuBefore = processCpuMicros(service.pid);
      const pgBefore = await databaseCpuMicros(client);
      const benchBefore = process.cpuUsage();
      const machineBefore = machineTicks();
      await queue(client, [fastId], DELIVERIES, round * DELIVERIES);
      while (fast.received.length < DELIVERIES) await sleep(20);
      const seconds = (fast.received[fast.received.length - 1].at - started) / 1000;
      await sleep(200);
      const cpuPerDelivery = Math.round((processCpuMicros(service.pid) - cpuBefore) / DELIVERIES);
      const pgPerDelivery = Math.round(((await databaseCpuMicros(client)) - pgBefore) / DELIVERIES);
      const benchCpu = process.cpuUsage(benchBefore);
      const receiverPerDelivery = Math.round((benchCpu.user + benchCpu.system) / DELIVERIES);
      const total = cpuPerDelivery + pgPerDelivery + receiverPerDelivery;
      const machineAfter = machineTicks();
      const busy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
      const rate = Math.round(DELIVERIES / seconds);
      results.throughput.push(rate);
      console.log(
        `throughput round ${round + 1}: ${DELIVERIES} deliveries in ${seconds.toFixed(2)} s = ${rate}/s; CPU per delivery: service ${cpuPerDelivery} µs, ` +
          `PostgreSQL ${pgPerDelivery} µs, receiver ${receiverPerDelivery} µs, total ${total} µs (${Math.round(2e6 / total)}/s on 2 cores to themselves); machine ${Math.round(busy * 100)}% busy`,
      );
      results.cpu.push(total);
    }
    await client.query(`UPDATE webhook SET enabled = false WHERE id = $1`, [fastId]);

    // 2. Isolation: a hanging endpoint beside a healthy one.
    const hanging = await receiver('hang');
    const healthy = await receiver();
    const ids = [await create(hanging.url), await create(healthy.url)];
    const queuedAt = new Map();
    let n = 10_000_000;
    const deadline = Date.now() + SECONDS * 1000;
    while (Date.now() < deadline) {
      const tick = Date.now();
      const i = n++;
      queuedAt.set(i, Date.now());
      await queue(client, ids, 1, i);
      await sleep(Math.max(0, 1000 / RATE - (Date.now() - tick)));
    }
    while (healthy.received.length < queuedAt.size && Date.now() < deadline + 15_000) await sleep(50);
    const latencies = healthy.received.map((r) => r.at - queuedAt.get(JSON.parse(r.body).data.event.data.n)).sort((a, b) => a - b);
    const isolation = {
      events: queuedAt.size,
      healthyDelivered: healthy.received.length,
      hangingAttempts: hanging.received.length,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies[latencies.length - 1],
    };
    results.isolation.push(isolation);
    console.log(`isolation: ${JSON.stringify(isolation)}`);
    console.log(
      `median throughput: ${median(results.throughput)} deliveries/s (target >= 500); healthy p99 beside a hanging endpoint: ${isolation.p99} ms (target < 1000)`,
    );
    await client.end();
    await Promise.all([fast.stop(), hanging.stop(), healthy.stop()]);
  },
);
