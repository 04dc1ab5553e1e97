import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TEST_REDIS_URL, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { ROOT } from '../helpers/processes.js';

const ROOT_KEY = 'bootstrap-admin-key';
let h: Harness;
let open: Harness;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { API_KEY: ROOT_KEY } });
  open = await startHarness({ worker: false, env: { CORS_ORIGINS: 'https://studio.example.com, https://other.example.com/' } });
});

afterAll(async () => {
  await h?.close();
  await open?.close();
});

const as = (key: string) => ({
  get: (url: string) => h.api.get(url).set('Authorization', `Bearer ${key}`),
  post: (url: string) => h.api.post(url).set('Authorization', `Bearer ${key}`),
  delete: (url: string) => h.api.delete(url).set('Authorization', `Bearer ${key}`),
});
const root = as(ROOT_KEY);

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await root.post('/api/keys').send(body);
  expect(res.status).toBe(201);
  return res.body;
}

describe('API keys', () => {
  it('when an admin creates a key, then it is shown once, only its SHA-256 is stored, and it works', async () => {
    const res = await root.post('/api/keys').send({ tenant: 'acme', name: 'acme uploader', scopes: ['write'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenant: 'acme', name: 'acme uploader', scopes: ['write'], revokedAt: null, expiresAt: null, lastUsedAt: null });
    const secret = res.body.key as string;
    expect(secret).toMatch(/^vj_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(res.body.prefix)).toBe(true);

    const [row] = await h.infra.sql<{ keyHash: string }[]>`SELECT key_hash FROM api_keys WHERE id = ${res.body.id}`;
    expect(row!.keyHash).toBe(createHash('sha256').update(secret).digest('hex'));
    const dump = JSON.stringify(await h.infra.sql`SELECT * FROM api_keys`);
    expect(dump).not.toContain(secret);

    expect((await as(secret).get('/api/videos')).status).toBe(200);
    // The last use is recorded beside the request, not before its answer.
    const mine = await until('the key shows its last use', 5_000, async () => {
      const listed = (await root.get('/api/keys?tenant=acme')).body.items as Record<string, unknown>[];
      const k = listed.find((x) => x.id === res.body.id)!;
      return k.lastUsedAt !== null ? k : undefined;
    });
    expect(mine).not.toHaveProperty('key');
    expect(mine).not.toHaveProperty('keyHash');
  });

  it('when a request comes without a key, or with an unknown one, then 401', async () => {
    expect((await h.api.get('/api/videos')).status).toBe(401);
    const res = await as('vj_not-a-key-that-exists').get('/api/videos');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'unauthorized' });
  });

  it('when a key is revoked, then it is refused at once (401), and its session cookie too', async () => {
    const { id, key } = await createKey({ tenant: 'acme', scopes: ['read'] });
    const session = await as(key).post('/api/session');
    expect(session.status).toBe(204);
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    expect((await h.api.get('/api/videos').set('Cookie', cookie)).status).toBe(200);

    const revoked = await root.delete(`/api/keys/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await as(key).get('/api/videos')).status).toBe(401);
    expect((await h.api.get('/api/videos').set('Cookie', cookie)).status).toBe(401);
  });

  it('when a key has expired, then it is refused at once (401)', async () => {
    const { id, key } = await createKey({ tenant: 'acme', scopes: ['read'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await as(key).get('/api/jobs')).status).toBe(200);
    await h.infra.sql`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ${id}`;
    expect((await as(key).get('/api/jobs')).status).toBe(401);
  });

  it('when a read key records or runs, then 403 insufficient_scope and nothing is recorded; it can still read', async () => {
    const { key } = await createKey({ tenant: 'readers', scopes: ['read'] });
    const before = (await root.get('/api/jobs')).body.total;
    const trim = await as(key).post('/api/videos/3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a/trim').send({ start: 0, end: 1 });
    expect(trim.status).toBe(403);
    expect(trim.body).toMatchObject({ code: 'insufficient_scope', retryable: false });
    expect(trim.body.detail).toContain('write');
    expect((await as(key).post('/api/jobs/run').send({})).status).toBe(403);
    expect((await as(key).post('/api/videos').attach('file', Buffer.from('x'), 'x.mp4')).status).toBe(403);
    expect((await as(key).delete('/api/videos/3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a')).status).toBe(403);
    expect((await root.get('/api/jobs')).body.total).toBe(before);
    expect((await as(key).get('/api/jobs')).status).toBe(200);
  });

  it('when a write key manages keys, then 403: keys need the admin scope', async () => {
    const { key } = await createKey({ tenant: 'acme', scopes: ['write'] });
    expect((await as(key).post('/api/keys').send({ tenant: 'acme', scopes: ['admin'] })).status).toBe(403);
    expect((await as(key).get('/api/keys')).status).toBe(403);
  });

  it('when a key is asked for with a bad tenant id or an unknown scope, then 422 and no key is made', async () => {
    const before = (await root.get('/api/keys')).body.items.length;
    expect((await root.post('/api/keys').send({ tenant: 'Not Valid', scopes: ['read'] })).status).toBe(422);
    expect((await root.post('/api/keys').send({ tenant: 'acme', scopes: ['superuser'] })).status).toBe(422);
    expect((await root.post('/api/keys').send({ tenant: 'acme', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' })).status).toBe(422);
    expect((await root.get('/api/keys')).body.items.length).toBe(before);
  });
});

describe('npm run keys', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/keys-cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: h.config.databaseUrl, REDIS_URL: TEST_REDIS_URL, DB_SCHEMA: h.config.dbSchema, API_KEY: '', LOG_LEVEL: 'warn' },
    });

  it('when a key is created, then it is printed once and works; list never shows it; revoke stops it', async () => {
    const created = await cli('create', '--tenant', 'cli-tenant', '--scopes', 'read,write', '--name', 'from the CLI');
    const secret = /The key \(shown only now; keep it\): (vj_\S+)/.exec(created.stdout)![1]!;
    const record = JSON.parse(created.stdout.split('\n')[0]!) as { id: string; tenant: string; scopes: string[] };
    expect(record).toMatchObject({ tenant: 'cli-tenant', scopes: ['read', 'write'] });
    expect((await as(secret).get('/api/jobs')).status).toBe(200);

    const listed = await cli('list', '--tenant', 'cli-tenant');
    expect(listed.stdout).toContain(record.id);
    expect(listed.stdout).not.toContain(secret);

    await cli('revoke', record.id);
    expect((await as(secret).get('/api/jobs')).status).toBe(401);
  });

  it('when a scope is unknown, then it refuses with a message and exit 2', async () => {
    await expect(cli('create', '--tenant', 'x', '--scopes', 'root')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown scope "root"') });
  });
});

describe('an open server (no API_KEY)', () => {
  it('when no key exists, then it is open; once one is created, then it needs a key', async () => {
    expect((await open.api.get('/api/videos')).status).toBe(200);
    const app = supertest(open.app);
    const create = await app.post('/api/keys').send({ tenant: 'first', scopes: ['admin'] });
    expect(create.status).toBe(201);
    await until('the API needs a key', 5_000, async () => ((await app.get('/api/videos')).status === 401 ? true : undefined));
    expect((await app.get('/api/videos').set('Authorization', `Bearer ${create.body.key}`)).status).toBe(200);
  });
});

describe('CORS', () => {
  it('when an origin is listed in CORS_ORIGINS, then its preflight and requests are allowed', async () => {
    const pre = await open.api.options('/api/videos').set('Origin', 'https://other.example.com').set('Access-Control-Request-Method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://other.example.com');
    expect(pre.headers['access-control-allow-headers']).toContain('Authorization');
    const res = await open.api.get('/healthz').set('Origin', 'https://studio.example.com');
    expect(res.headers['access-control-allow-origin']).toBe('https://studio.example.com');
  });

  it('when an origin is not listed, then no CORS header is sent', async () => {
    const res = await open.api.get('/healthz').set('Origin', 'https://evil.example.com');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when CORS_ORIGINS is unset, then no CORS header is sent for any origin', async () => {
    const res = await h.api.get('/healthz').set('Origin', 'https://studio.example.com');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
