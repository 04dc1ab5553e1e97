import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { problemShapeErrors } from '../helpers/problem-codes.js';

// Thousands of random and malformed requests against every endpoint: none may answer 5xx.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);

let h: Harness;
let media: string;
let videoId: string;
let jobId: string;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { MAX_UPLOAD_BYTES: '100000' } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
  videoId = v.id;
  jobId = (await trim(h, videoId, { start: 0, end: 0.5 })).id;
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const weird = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', 'null', 'NaN', 'Infinity', '-1', '1e309', '0x10', '../../etc/passwd', '%00', '%zz', '\u0000', 'a'.repeat(3000), '🎬', '"', "'", '{}', '[]'),
  fc.uuid(),
  fc.integer().map(String),
  fc.double().map(String),
);

const idArb = fc.oneof(
  fc.constant('VIDEO'),
  fc.constant('JOB'),
  fc.uuid(),
  weird.map((s) => encodeURIComponent(s).slice(0, 500)),
);

const pathArb = fc.oneof(
  fc.constantFrom('/api/videos', '/api/videos/concat', '/api/jobs', '/api/jobs/run', '/healthz', '/readyz', '/metrics', '/api/openapi.json', '/api', '/'),
  idArb.map((id) => `/api/videos/${id}`),
  idArb.map((id) => `/api/videos/${id}/download`),
  idArb.map((id) => `/api/videos/${id}/trim`),
  idArb.map((id) => `/api/jobs/${id}`),
  idArb.map((id) => `/api/jobs/${id}/cancel`),
  idArb.map((id) => `/api/jobs/${id}/retry`),
  weird.map((s) => `/api/${encodeURIComponent(s).slice(0, 300)}`),
);

const queryArb = fc.dictionary(fc.constantFrom('limit', 'offset', 'kind', 'status', 'type', 'x', 'limit[]', '__proto__'), weird, { maxKeys: 4 });

const jsonValue = fc.oneof(
  fc.jsonValue(),
  fc.record({ start: fc.oneof(fc.double(), weird, fc.jsonValue()), end: fc.oneof(fc.double(), weird, fc.jsonValue()), mode: fc.oneof(weird, fc.constantFrom('accurate', 'copy')) }, { requiredKeys: [] }),
  fc.record({ videoIds: fc.oneof(fc.array(fc.oneof(fc.uuid(), weird, fc.constant('VIDEO')), { maxLength: 120 }), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ jobIds: fc.oneof(fc.array(fc.oneof(fc.uuid(), weird, fc.constant('JOB')), { maxLength: 20 }), fc.jsonValue()) }, { requiredKeys: [] }),
);

const bodyArb = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  jsonValue.map((value) => ({ kind: 'json' as const, value })),
  fc.string({ maxLength: 2000 }).map((raw) => ({ kind: 'raw-json' as const, raw })),
  fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 500 })).map(([boundary, raw]) => ({ kind: 'multipart' as const, boundary, raw })),
  fc.uint8Array({ maxLength: 3000 }).map((bytes) => ({ kind: 'multipart-file' as const, bytes })),
);

const headerArb = fc.record(
  {
    Range: fc.oneof(weird, fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`), fc.constantFrom('bytes=-', 'bytes=0-0,1-1', 'bytes=99999999999999999999-')),
    'If-None-Match': weird,
    'If-Range': weird,
    'Content-Type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data', 'application/x-www-form-urlencoded'),
    Authorization: weird,
  },
  { requiredKeys: [] },
);

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'),
  path: pathArb,
  query: queryArb,
  body: bodyArb,
  headers: headerArb,
});

describe('hostile input', () => {
  it(`when ${RUNS} random and malformed requests arrive, then none answers 5xx and the service keeps working`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const url = r.path.replace('VIDEO', videoId).replace('JOB', jobId);
        let req = h.api[r.method.toLowerCase() as 'get'](url).query(r.query).timeout(10_000);
        for (const [k, v] of Object.entries(r.headers)) {
          try {
            req = req.set(k, v as string);
          } catch {
            // an invalid header value cannot even be sent
          }
        }
        const b = r.body;
        if (b.kind === 'json') req = req.set('Content-Type', 'application/json').send(JSON.stringify(b.value));
        else if (b.kind === 'raw-json') req = req.set('Content-Type', 'application/json').send(b.raw);
        else if (b.kind === 'multipart') req = req.set('Content-Type', `multipart/form-data; boundary=${b.boundary}`).send(b.raw);
        else if (b.kind === 'multipart-file') req = req.attach('file', Buffer.from(b.bytes), 'x.mp4');
        let status: number;
        let res: { status: number; headers: Record<string, string>; body: unknown; text?: string } | undefined;
        try {
          res = await req;
          status = res.status;
        } catch (err) {
          const e = err as { status?: number; code?: string; response?: typeof res };
          if (e.code === 'ERR_INVALID_CHAR' || e.code === 'ERR_UNESCAPED_CHARACTERS' || e.code === 'ERR_HTTP_INVALID_HEADER_VALUE') return;
          if (typeof e.status === 'number') {
            status = e.status;
            res = e.response;
          } else throw err;
        }
        sent += 1;
        expect(status, `${r.method} ${url}`).toBeLessThan(500);
        // Every problem names its code (one the document declares for the route) and whether to retry.
        if (res && status >= 400 && r.method !== 'HEAD') {
          const body = (res.body && typeof res.body === 'object' && Object.keys(res.body).length ? res.body : safeJson(res.text)) as Record<string, unknown>;
          expect(problemShapeErrors(status, res.headers['content-type'], body, r.method, url), `${r.method} ${url} → ${status} ${JSON.stringify(body)}`).toEqual([]);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    );
    expect(sent).toBeGreaterThan(RUNS * 0.9);
    console.log(`fuzz: ${sent} requests sent, none answered 5xx`);
    expect((await h.api.get('/healthz')).status).toBe(200);
    expect((await h.api.get(`/api/videos/${videoId}`)).status).toBeLessThan(500);
  }, 240_000);
});

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return {};
  }
}
