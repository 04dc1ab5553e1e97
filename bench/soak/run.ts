/**
 * `npm run soak`: real processes (an API, three workers, a Redis of the soak's own) on PostgreSQL,
 * four clients recording and running trims and concats, and faults meanwhile: a worker SIGKILLed
 * every 8–15 s, a worker paused 15 s, Redis restarted empty, FLUSHALL, every PostgreSQL backend of
 * the soak's processes terminated, the API restarted. Then every job must end, none may have run
 * twice at once, no file may be left over, and every output must hold exactly the right frames.
 *
 * SOAK_MINUTES (default 10) bounds the fault phase; the drain after it is bounded too
 * (SOAK_DRAIN_SECONDS, default 180). Figures go to stdout and bench/results/soak-latest.json;
 * the exit code is 1 on a violation.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { freePort, PrivateRedis } from '../../test/helpers/private-redis.js';
import { runClient, newState } from './clients.js';
import { Cluster } from './cluster.js';
import { FaultInjector, type FaultKind } from './faults.js';
import { SoakApi } from './http.js';
import { sourceClips } from './media.js';
import { Random, sleep } from './random.js';
import { OverlapSampler } from './sampler.js';
import { FINAL, loadJobs, verify, type Verification } from './verify.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = path.join(ROOT, 'bench', 'results', 'soak-latest.json');
const DATABASE_URL = process.env.SOAK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = 4;
const WORKERS = 3;

const started = Date.now();
/** Stops whatever the soak started when it ends on an error. */
let emergencyStop: (() => Promise<void>) | undefined;
const log = (m: string) => console.error(`[soak +${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}`);

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

async function main(): Promise<number> {
  const minutes = numberEnv('SOAK_MINUTES', 10);
  const drainSeconds = numberEnv('SOAK_DRAIN_SECONDS', 180);
  // The fenced design lets a resumed execution run until its next heartbeat finds it stale (≈1 s);
  // a longer overlap is a second execution, not a fence closing.
  const fenceGraceSeconds = numberEnv('SOAK_FENCE_GRACE_SECONDS', 2);
  const seed = Math.floor(numberEnv('SOAK_SEED', Date.now() % 1_000_000_007));
  const rnd = new Random(seed);
  const id = randomBytes(4).toString('hex');
  const schema = `soak_${id}`;
  const queue = `soak-${id}`;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vj-soak-'));
  const storageDir = path.join(workDir, 'storage');
  const logDir = path.join(workDir, 'logs');
  const checkDir = path.join(workDir, 'check');
  await Promise.all([mkdir(storageDir), mkdir(logDir), mkdir(checkDir)]);
  log(`${minutes} min, seed ${seed}, schema ${schema}, queue ${queue}, work dir ${workDir}`);

  const clips = await sourceClips(log);
  const redis = await PrivateRedis.start();
  const port = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL,
    REDIS_URL: redis.url,
    DB_SCHEMA: schema,
    QUEUE_NAME: queue,
    STORAGE_DIR: storageDir,
    WORKER_CONCURRENCY: process.env.SOAK_WORKER_CONCURRENCY ?? '2',
    MIN_FREE_BYTES: '0',
    LOG_LEVEL: 'info',
  };
  const cluster = new Cluster(env, redis, port, logDir);
  const admin = postgres(DATABASE_URL, { max: 2, onnotice: () => {}, connection: { application_name: 'video-jobs-soak', search_path: schema } });
  emergencyStop = () => cluster.stopAll().finally(() => redis.down());
  let aborted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (aborted) process.exit(130);
    aborted = true;
    log(`${sig}: stopping the soak's processes`);
    void cluster.stopAll().finally(() => redis.down().finally(() => process.exit(130)));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await cluster.startApi();
  for (let i = 0; i < WORKERS; i++) cluster.startWorker();
  if (!(await Promise.all(cluster.workers.map((w) => w.ready))).every(Boolean)) throw new Error('a worker did not start');
  const api = new SoakApi(`http://127.0.0.1:${port}`);
  log(`API on port ${port}, ${WORKERS} workers, Redis on port ${redis.port}`);

  const sampler = new OverlapSampler(storageDir);
  sampler.start();
  const faultMs = minutes * 60_000;
  const bigEveryMs = Math.max(15_000, Math.min(25_000, (faultMs - 30_000) / 5));
  const faults = new FaultInjector(cluster, admin, sampler, rnd, bigEveryMs);
  const state = newState();
  const faultsStartedAt = Date.now();
  const faultsEndAt = faultsStartedAt + faultMs;
  faults.start();
  const progress = setInterval(() => {
    const c = state.counters;
    log(`${state.jobs.size} jobs recorded, ${c.downloads} downloads; faults ${faults.events.length}; overlap so far ${sampler.overlapSeconds.toFixed(1)} s`);
  }, 30_000);
  const clients = Array.from({ length: CLIENTS }, (_, n) => runClient(n, api, clips, new Random(seed + n + 1), state, () => Date.now() > faultsEndAt || aborted));
  while (Date.now() < faultsEndAt && !aborted) await sleep(500);
  log('stopping the faults');
  await faults.stop();
  const faultsStoppedAt = Date.now();
  log('faults stopped; letting the clients finish their round');
  await Promise.race([Promise.all(clients), sleep(300_000)]);
  clearInterval(progress);

  // Jobs a client recorded without learning of it (its request cut by an API restart) are still
  // pending: run them too, so that every job has had its chance to end.
  const ran = await api.post('/api/jobs/run', {});
  log(`drain: ${ran.status === 202 ? ran.body.queued.length : `run answered ${ran.status}`} pending jobs queued; waiting up to ${drainSeconds} s for every job to end`);
  const drainDeadline = Date.now() + drainSeconds * 1000;
  let open = Infinity;
  while (Date.now() < drainDeadline) {
    const jobs = await loadJobs(admin);
    open = jobs.filter((j) => !FINAL.includes(j.status)).length;
    if (open === 0) break;
    await sleep(1_000);
  }
  const drainedAt = Date.now();
  log(open === 0 ? `every job ended ${((drainedAt - faultsStoppedAt) / 1000).toFixed(0)} s after the faults stopped` : `${open} jobs still not final after ${drainSeconds} s`);
  const tmpAtDrain = await readdir(path.join(storageDir, 'tmp')).catch(() => []);
  await sleep(5_000);
  await sampler.stop();

  const v = await verify(admin, api, state, clips, storageDir, checkDir, log);
  await cluster.stopAll();
  await redis.down();

  const takeovers = takeoverLatencies(faults, sampler);
  const longOverlaps = sampler.episodes.filter((e) => e.seconds > fenceGraceSeconds);
  const violations: string[] = [];
  if (v.lost.length) violations.push(`${v.lost.length} jobs lost (recorded by a client, gone from the database)`);
  if (v.stranded.length) violations.push(`${v.stranded.length} jobs stranded: ${v.stranded.slice(0, 10).map((s) => `${s.id} ${s.status}`).join(', ')}`);
  if (longOverlaps.length) violations.push(`${longOverlaps.length} times a job ran in two executions at once for more than ${fenceGraceSeconds} s (longest ${Math.max(...longOverlaps.map((e) => e.seconds)).toFixed(1)} s)`);
  if (v.tmpFiles.length) violations.push(`${v.tmpFiles.length} files left in tmp/: ${v.tmpDetail.slice(0, 10).map((t) => `${t.file} (job ${t.jobStatus ?? '?'}, ${t.jobAttempts ?? '?'} attempts)`).join(', ')}`);
  if (v.videosUnreferenced.length) {
    // A key of an earlier attempt of a job that another attempt completed: that attempt was killed
    // between its rename and its commit, a window the design leaves to retention (after an hour).
    const crashWindow = v.unreferencedDetail.filter((d) => d.jobStatus === 'completed' && d.attempt !== null && d.videoKey !== d.file).length;
    violations.push(
      `${v.videosUnreferenced.length} files in videos/ that no ready video references: ${v.unreferencedDetail.slice(0, 10).map((d) => `${d.file} (job ${d.jobStatus ?? '?'} with ${d.jobAttempts ?? '?'} attempts, video key ${d.videoKey ?? 'none'})`).join(', ')}` +
        (crashWindow ? `; ${crashWindow} of them an earlier attempt's key of a job another attempt completed (killed between rename and commit)` : ''),
    );
  }
  if (v.videosMissing.length) violations.push(`${v.videosMissing.length} ready videos without their file: ${v.videosMissing.slice(0, 10).join(', ')}`);
  if (v.inconsistent.length) violations.push(`${v.inconsistent.length} jobs whose output video disagrees with them: ${v.inconsistent.slice(0, 5).map((i) => `${i.jobId} ${i.what}`).join('; ')}`);
  if (v.exactness.failures.length) violations.push(`${v.exactness.failures.length} completed outputs not exact`);
  if (v.outbox.completedTwice.length) violations.push(`${v.outbox.completedTwice.length} jobs announced completed more than once: ${v.outbox.completedTwice.slice(0, 5).map((t) => `${t.jobId} ×${t.times}`).join(', ')}`);
  if (v.inputErrorRetried.length) violations.push(`${v.inputErrorRetried.length} input errors retried as crashes: ${v.inputErrorRetried.slice(0, 5).join(', ')}`);

  const faultCount = (k: FaultKind) => faults.count(k);
  const results = {
    measuredAt: new Date().toISOString(),
    commit: await gitHead(),
    seed,
    soakMinutes: minutes,
    durationSec: Math.round((Date.now() - started) / 1000),
    drainSec: Math.round((drainedAt - faultsStoppedAt) / 1000),
    settings: { clients: CLIENTS, workers: WORKERS, workerConcurrency: Number(env.WORKER_CONCURRENCY), bigFaultEverySec: bigEveryMs / 1000, fenceGraceSeconds, schema, queue, workDir },
    jobs: { total: Object.values(v.jobsByStatus).reduce((a, b) => a + b, 0), byStatus: v.jobsByStatus, byType: v.jobsByType, attempts: v.attempts, unknownToClients: v.unknownToClients },
    clients: state.counters,
    faults: {
      workerKills: faultCount('worker-kill'),
      workerPauses: faultCount('worker-pause'),
      redisRestarts: faultCount('redis-restart'),
      redisFlushes: faultCount('redis-flushall'),
      pgTerminations: faultCount('pg-terminate'),
      pgBackendsTerminated: faults.events.reduce((s, e) => s + (e.backends ?? 0), 0),
      apiRestarts: faultCount('api-restart'),
      failedToInject: faults.events.filter((e) => e.note?.startsWith('failed')).map((e) => `${e.kind}: ${e.note}`),
      timeline: faults.events.map((e) => ({ kind: e.kind, atSec: Math.round((e.at - started) / 100) / 10, pid: e.pid, jobsInFlight: e.jobsInFlight, backends: e.backends, note: e.note })),
    },
    overlap: {
      samples: sampler.samples,
      meanSampleIntervalMs: sampler.samples > 0 ? Math.round((drainedAt + 5_000 - faultsStartedAt) / sampler.samples) : null,
      sampleErrors: sampler.sampleErrors,
      executionsSeen: sampler.executions.size,
      maxConcurrentExecutionsOfOneJob: sampler.maxConcurrentExecutions,
      maxFfmpegProcessesOfOneJob: sampler.maxProcessesOfOneJob,
      totalOverlapSec: round1(sampler.overlapSeconds),
      jobsWithOverlap: new Set(sampler.episodes.map((e) => e.jobId)).size,
      episodesBeyondFenceGrace: longOverlaps.length,
      episodes: sampler.episodes.map((e) => ({ jobId: e.jobId, atSec: round1((e.from - started) / 1000), seconds: round1(e.seconds), executions: e.executions, workers: e.workers })),
    },
    takeover: takeovers,
    strayFiles: { tmpAtDrain, tmpAfter5s: v.tmpFiles, tmpDetail: v.tmpDetail, videosUnreferenced: v.videosUnreferenced, unreferencedDetail: v.unreferencedDetail, videosMissing: v.videosMissing },
    lost: v.lost,
    stranded: v.stranded,
    inconsistent: v.inconsistent,
    exactness: v.exactness,
    overlongTrimsCompleted: v.overlongCompleted,
    inputErrorsRetried: v.inputErrorRetried,
    outbox: v.outbox,
    http: { requests: api.stats.requests, byStatus: api.stats.byStatus, connectionErrors: api.stats.connectionErrors, unavailable503: api.stats.unavailable, serverErrors: api.stats.serverErrors.length, serverErrorSamples: api.stats.serverErrors.slice(0, 20) },
    clientAnomalies: state.anomalies.slice(0, 50),
    serviceLogs: {
      dir: logDir,
      warnAndAbove: Object.fromEntries([...cluster.logCounts.byMessage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)),
      errorSamples: cluster.logCounts.errorLines.slice(0, 20),
    },
    violations,
  };
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  printFigures(results, v);

  if (violations.length === 0) {
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await rm(storageDir, { recursive: true, force: true });
    await rm(checkDir, { recursive: true, force: true });
  } else {
    log(`kept for a look: schema ${schema}, storage ${storageDir}, logs ${logDir}`);
  }
  await admin.end();
  return violations.length === 0 ? 0 : 1;
}

/** After a worker was killed or paused in the middle of jobs: how long until each ran again elsewhere. */
function takeoverLatencies(faults: FaultInjector, sampler: OverlapSampler) {
  const rows: { fault: string; jobId: string; seconds: number | null }[] = [];
  for (const ev of faults.events) {
    if (!ev.jobsInFlight?.length || (ev.kind !== 'worker-kill' && ev.kind !== 'worker-pause')) continue;
    for (const jobId of ev.jobsInFlight) {
      const next = [...sampler.executions.values()].filter((e) => e.jobId === jobId && e.workerPid !== ev.pid && e.firstSeen > ev.at).sort((a, b) => a.firstSeen - b.firstSeen)[0];
      rows.push({ fault: ev.kind, jobId, seconds: next ? round1((next.firstSeen - ev.at) / 1000) : null });
    }
  }
  const summary = (kind: string) => {
    const xs = rows.filter((r) => r.fault === kind && r.seconds !== null).map((r) => r.seconds!).sort((a, b) => a - b);
    return {
      jobsInFlight: rows.filter((r) => r.fault === kind).length,
      ranAgain: xs.length,
      medianSec: xs.length ? xs[Math.floor(xs.length / 2)] : null,
      maxSec: xs.length ? xs[xs.length - 1] : null,
    };
  };
  return { afterKill: summary('worker-kill'), afterPause: summary('worker-pause'), rows };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function gitHead(): Promise<string | null> {
  try {
    const { execFileSync } = await import('node:child_process');
    return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function printFigures(r: any, v: Verification): void {
  const lines = [
    '',
    `soak: ${r.soakMinutes} min of faults, ${r.durationSec} s in all, drain ${r.drainSec} s, seed ${r.seed}, commit ${r.commit}`,
    `jobs: ${r.jobs.total} (${Object.entries(r.jobs.byStatus).map(([k, n]) => `${k} ${n}`).join(', ')}); types ${Object.entries(r.jobs.byType).map(([k, n]) => `${k} ${n}`).join(', ')}; attempts ${Object.entries(r.jobs.attempts).map(([k, n]) => `${k}×${n}`).join(' ')}`,
    `clients: ${r.clients.uploads} uploads, ${r.clients.trims} trims, ${r.clients.concats} concats, ${r.clients.cancels} cancels (${r.clients.cancelsTooLate} too late), ${r.clients.retries} retries, ${r.clients.downloads} downloads (${r.clients.downloadMismatches} wrong), ${r.clients.unexpected} unexpected answers`,
    `faults: ${r.faults.workerKills} worker SIGKILLs, ${r.faults.workerPauses} pauses of 15 s, ${r.faults.redisRestarts} Redis restarts (empty), ${r.faults.redisFlushes} FLUSHALLs, ${r.faults.pgTerminations} backend terminations (${r.faults.pgBackendsTerminated} backends), ${r.faults.apiRestarts} API restarts${r.faults.failedToInject.length ? `; not injected: ${r.faults.failedToInject.join('; ')}` : ''}`,
    `double execution: max ${r.overlap.maxConcurrentExecutionsOfOneJob} executions of one job at once; ${r.overlap.totalOverlapSec} s of overlap over ${r.overlap.jobsWithOverlap} jobs; ${r.overlap.episodesBeyondFenceGrace} episodes longer than ${r.settings.fenceGraceSeconds} s (${r.overlap.samples} ps samples, one per ${r.overlap.meanSampleIntervalMs} ms)`,
    ...r.overlap.episodes.slice(0, 10).map((e: any) => `  job ${e.jobId} at +${e.atSec} s: ${e.seconds} s, workers ${e.workers.join(',')}, executions ${e.executions.map((x: string) => x.slice(37)).join(' ')}`),
    `takeover after a kill: ${r.takeover.afterKill.ranAgain}/${r.takeover.afterKill.jobsInFlight} jobs ran again, median ${r.takeover.afterKill.medianSec} s, max ${r.takeover.afterKill.maxSec} s; after a pause: ${r.takeover.afterPause.ranAgain}/${r.takeover.afterPause.jobsInFlight}, median ${r.takeover.afterPause.medianSec} s, max ${r.takeover.afterPause.maxSec} s`,
    `lost ${v.lost.length}, stranded ${v.stranded.length}, output/job disagreements ${v.inconsistent.length}${v.outbox.present ? `; outbox: ${v.outbox.completedTwice.length} jobs completed twice, ${v.outbox.undispatched} hand-offs undelivered` : ''}`,
    `stray files: tmp/ ${r.strayFiles.tmpAtDrain.length} at drain, ${v.tmpFiles.length} 5 s later; videos/ ${v.videosUnreferenced.length} unreferenced, ${v.videosMissing.length} missing`,
    `exactness: ${v.exactness.checked} outputs checked (${v.exactness.accurateTrims} accurate trims, ${v.exactness.copyTrims} copy trims, ${v.exactness.concats} concats), ${v.exactness.failures.length} not exact${v.exactness.failures.length ? ` (by method: ${Object.entries(v.exactness.failuresByMethod).map(([m, n]) => `${m} ${n} of ${v.exactness.checkedByMethod[m] ?? '?'}`).join(', ')})` : ''}`,
    ...v.exactness.failures.slice(0, 10).map((f) => `  job ${f.jobId} (${f.method}): ${f.note}`),
    `http: ${r.http.requests} requests, ${r.http.serverErrors} answered 5xx (${r.http.unavailable503} of them 503, tried again), ${r.http.connectionErrors} found no API (retried)`,
    r.violations.length === 0 ? 'no violation' : `VIOLATIONS:\n${r.violations.map((x: string) => `  - ${x}`).join('\n')}`,
    `figures: ${path.relative(ROOT, RESULTS)}; service logs: ${r.serviceLogs.dir}`,
  ];
  console.log(lines.join('\n'));
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(err);
    await emergencyStop?.().catch(() => {});
    process.exit(2);
  },
);
