import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createDatabase, type Database } from '../../src/db/database';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TcpRelay } from '../support/tcp-relay';
import { STRONG_PASSWORD, TEST_JWT_SECRET, TEST_PEPPER, uniqueEmail } from '../support/test-app';

describe('the database stops for a few seconds while requests flow', () => {
  let database: TestDatabase;
  let db: Database;
  const relay = new TcpRelay();

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    await relay.start();
  });
  afterAll(async () => {
    await db?.close();
    await relay.stop();
    await database.drop();
  });

  it('answers 503 problem bodies fast, /ready turns 503, and both recover without a restart', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: relay.route(database.url),
      JWT_SECRET: TEST_JWT_SECRET,
      PASSWORD_PEPPER: TEST_PEPPER,
      BCRYPT_COST: '10',
    });
    const logger = createLogger({
      level: process.env.OUTAGE_LOG ? 'error' : 'warn',
      pretty: false,
      destination: process.env.OUTAGE_LOG ? process.stdout : new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    db = createDatabase(config.databaseUrl);
    const app = createApp({ config, logger, db });

    const email = uniqueEmail('outage');
    const { body: tokens } = await request(app).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);
    const me = () => request(app).get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`);
    await me().expect(200);
    await request(app).get('/ready').expect(200);

    await relay.stop();
    for (const call of [
      () => me(),
      () => request(app).post('/auth/login').send({ email, password: STRONG_PASSWORD }),
      () => request(app).post('/auth/refresh').send({ refreshToken: tokens.refreshToken }),
      () =>
        request(app)
          .post('/auth/register')
          .send({ email: uniqueEmail('outage'), password: STRONG_PASSWORD }),
    ]) {
      const started = Date.now();
      const response = await call();
      expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
        status: 503,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(response.body).toMatchObject({ status: 503, title: 'Service unavailable' });
      expect(response.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeLessThan(3000);
    }
    const notReady = await request(app).get('/ready').expect(503);
    expect(notReady.body.detail).toMatch(/database is unreachable/);
    await request(app).get('/health').expect(200);

    await relay.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await me()).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    await request(app).get('/ready').expect(200);
    await request(app).post('/auth/login').send({ email, password: STRONG_PASSWORD }).expect(200);
  });
});
