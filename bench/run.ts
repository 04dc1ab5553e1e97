import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from './api.js';
import type { BenchContext, Row, RowResult } from './context.js';
import { machineInfo } from './machine.js';
import { ensureMedia } from './media.js';
import { withTimeout } from './measure.js';
import { killGroup, liveCommandGroups } from './proc.js';
import { mergeWithPrevious, renderBenchmarksMd, renderTable, writeResults, type BenchResults } from './report.js';
import { accurateTrimRow } from './rows/accurate-trim.js';
import { accurateTrimSmallRow } from './rows/accurate-trim-small.js';
import { concatRow } from './rows/concat.js';
import { copyTrimRow } from './rows/copy-trim.js';
import { downloadRow } from './rows/download.js';
import { getJobLoadRow } from './rows/get-job-load.js';
import { listJobsRow } from './rows/list-jobs.js';
import { runPendingRow } from './rows/run-pending.js';
import { smartConcatRow } from './rows/smart-concat.js';
import { uploadRow } from './rows/upload.js';
import { killAllServiceProcesses, logTail, newIsolation, startService, stopProcess, type Service } from './service.js';
import { teardown } from './teardown.js';

// Order matters: run1000 stops the worker, so every row that needs FFmpeg comes before it.
const ROWS: Row[] = [copyTrimRow, concatRow, smartConcatRow, accurateTrimRow, accurateTrimSmallRow, uploadRow, downloadRow, runPendingRow, getJobLoadRow, listJobsRow];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(repoRoot, 'bench', 'results', 'latest.json');
const BENCHMARKS_MD = path.join(repoRoot, 'BENCHMARKS.md');

const log = (message: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

function settings() {
  const cacheDir = path.resolve(process.env.BENCH_CACHE || path.join(os.homedir(), '.cache', 'video-jobs-bench'));
  const runs = Number(process.env.BENCH_RUNS || 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
  const wanted = process.env.BENCH_ROWS?.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = wanted?.filter((k) => !ROWS.some((r) => r.key === k)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown BENCH_ROWS ${unknown.join(', ')}; known: ${ROWS.map((r) => r.key).join(', ')}`);
  const rows = wanted ? ROWS.filter((r) => wanted.includes(r.key)) : ROWS;
  return { cacheDir, runs, rows, partial: wanted !== undefined };
}

function failedRow(row: Row, error: string, runId: string): RowResult {
  return {
    key: row.key, row: row.title, service: '—', beside: '—', target: row.target, verdict: '', pass: false, exact: null,
    error, measuredAt: new Date().toISOString(), runId, data: {},
  };
}

async function main(): Promise<number> {
  const { cacheDir, runs, rows, partial } = settings();
  await mkdir(cacheDir, { recursive: true });
  const media = await withTimeout('making the media', 20 * 60_000, () => ensureMedia(cacheDir, log));
  const iso = newIsolation(cacheDir);
  const scratch = path.join(cacheDir, `scratch-${iso.id}`);
  await mkdir(scratch, { recursive: true });
  const machine = machineInfo();
  const results: RowResult[] = [];
  let service: Service | undefined;

  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      log('stopping the service and removing the schema, queue and storage');
      if (service?.worker) await stopProcess(service.worker);
      if (service) await stopProcess(service.api);
      await teardown(iso, scratch, log);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`schema ${iso.schema}, queue ${iso.queue}, storage ${iso.storageDir}`);
    service = await withTimeout('starting the service', 90_000, () => startService(iso, scratch));
    const running = service;
    const api = new ApiClient(running.base);
    const uploads = new Map<string, Promise<string>>();
    const ctx: BenchContext = {
      api,
      service: running,
      media,
      iso,
      runs,
      scratch,
      log,
      uploaded: (file) => {
        let id = uploads.get(file);
        if (!id) {
          id = api.upload(file, path.join(scratch, 'upload-response.json'), 10 * 60_000).then((r) => r.video.id);
          uploads.set(file, id);
        }
        return id;
      },
      stopWorker: async () => {
        if (running.worker) await stopProcess(running.worker);
        running.worker = undefined;
      },
      shared: {},
    };
    // The worker has no health endpoint: one small job proves it is consuming, and warms both processes.
    await withTimeout('warm-up job', 3 * 60_000, async () => {
      const job = await api.trim(await ctx.uploaded(media.pieces[0]), 0, 2, 'copy');
      await api.runAndWait(job.id, 2 * 60_000);
    });

    for (const row of rows) {
      log(`row ${row.key}: ${row.title}`);
      try {
        const outcome = await withTimeout(`row "${row.title}"`, row.timeoutMs, () => row.measure(ctx));
        results.push({ key: row.key, row: row.title, target: row.target, ...outcome, measuredAt: new Date().toISOString(), runId: iso.id });
        log(`row ${row.key}: ${outcome.pass ? 'PASS' : 'FAIL'} — ${outcome.verdict}`);
      } catch (err) {
        const message = (err as Error).message;
        log(`row "${row.title}" FAILED: ${message}`);
        for (const p of [running.api, running.worker]) {
          if (p?.hasExited()) log(`${p.name} process has exited; end of its log:\n${logTail(p)}`);
        }
        results.push(failedRow(row, message.split('\n')[0]!.slice(0, 300), iso.id));
      }
    }
  } catch (err) {
    log(`setup failed: ${(err as Error).message}`);
    for (const row of rows.filter((r) => !results.some((x) => x.key === r.key))) {
      results.push(failedRow(row, `not measured: ${(err as Error).message.split('\n')[0]}`, iso.id));
    }
  } finally {
    await cleanup();
  }

  const fresh: BenchResults = { runId: iso.id, runs, machine, rows: results };
  const merged = await mergeWithPrevious(RESULTS_FILE, fresh, partial);
  await writeResults(RESULTS_FILE, merged);
  await writeFile(BENCHMARKS_MD, renderBenchmarksMd(merged));
  console.log(renderTable(results));
  log(`wrote ${path.relative(repoRoot, RESULTS_FILE)} and ${path.relative(repoRoot, BENCHMARKS_MD)}`);
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

// Whatever happens, no service process or FFmpeg started by the bench outlives it.
process.on('exit', () => {
  killAllServiceProcesses();
  for (const pgid of liveCommandGroups()) killGroup(pgid, 'SIGKILL');
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
