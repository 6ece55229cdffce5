import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { HELMET_OPTIONS } from '../../src/app';
import { createTestApp, type TestApp } from '../support/test-app';

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('are the headers helmet sets live, on every kind of response', async () => {
    const live = express().use(helmet(HELMET_OPTIONS));
    live.get('/', (_req, res) => void res.json({ ok: true }));
    const expected = (await request(live).get('/').expect(200)).headers;
    const names = Object.keys(expected).filter((name) => !['content-type', 'content-length', 'date', 'connection', 'x-powered-by', 'etag'].includes(name));
    expect(names).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-frame-options', 'referrer-policy']));

    for (const response of [
      await request(t.app).get('/health').expect(200),
      await request(t.app).get('/no-such-route').expect(404),
      await request(t.app).get('/auth/me').expect(401),
    ]) {
      for (const name of names) expect([name, response.headers[name]]).toEqual([name, expected[name]]);
    }
  });
});
