import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { jobPhases } from '../api.js';
import { settle, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { firstFrameMod, lastFrameMod, probe, type Exactness } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';
import { BOX_CYCLE, FPS, INTRO_SECONDS, SOURCE_SECONDS } from '../spec.js';
import { buildConcatFilterArgs } from '../../src/media/argv.js';
import { probeMedia } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/runner.js';

const MIN_SPEEDUP = 10;

/** The intro (rate-converted to the source's 30 fps) then every source frame: frame count, length, first and last frame. */
async function checkIntroThenSource(file: string): Promise<Exactness> {
  const wantFrames = (INTRO_SECONDS + SOURCE_SECONDS) * FPS;
  const total = INTRO_SECONDS + SOURCE_SECONDS;
  const [first, last, { frames, durationSec }] = await Promise.all([firstFrameMod(file), lastFrameMod(file), probe(file)]);
  const lastMod = (SOURCE_SECONDS * FPS - 1) % BOX_CYCLE;
  const exact = frames === wantFrames && Math.abs(durationSec - total) <= 0.1 && first === 0 && last === lastMod;
  return { exact, note: `${frames} frames, ${durationSec.toFixed(3)} s, first ≡${first ?? '?'} last ≡${last ?? '?'}; want ${wantFrames}, ${total} s, ≡0, ≡${lastMod}` };
}

// A full filter concat of 610 s of 1080p takes many minutes on two shared cores: past this it is stopped and its time projected from its progress.
const FILTER_CAP_SEC = Number(process.env.BENCH_FILTER_CONCAT_CAP_SEC || 600);

interface FilterRun {
  /** The whole command's time, or its projection from the share done when it was stopped. */
  seconds: number;
  complete: boolean;
  ranSec: number;
  percent: number;
}

/** The service's own filter concat command (what a concat of differing inputs ran before smart concat), bare, once. */
async function bareFilterConcat(files: string[], scratch: string): Promise<FilterRun> {
  const inputs = await Promise.all(
    files.map(async (file) => {
      const probed = await probeMedia(file, { skipDecodeCheck: true });
      if (!probed.ok) throw new Error(`${file} does not probe: ${probed.reason}`);
      return { path: file, info: probed.info };
    }),
  );
  const output = path.join(scratch, 'bare-filter-concat.mp4');
  const total = inputs.reduce((sum, i) => sum + i.info.durationSec, 0);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), FILTER_CAP_SEC * 1000);
  const started = performance.now();
  let percent = 0;
  try {
    await runFfmpeg({ args: buildConcatFilterArgs({ inputs, output }), expectedDurationSec: total, signal: stop.signal, onProgress: (p) => (percent = p) });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, complete: true, ranSec: seconds, percent: 100 };
  } catch (err) {
    const ranSec = (performance.now() - started) / 1000;
    if (!stop.signal.aborted || percent < 1) throw err;
    return { seconds: ranSec / (percent / 100), complete: false, ranSec, percent };
  } finally {
    clearTimeout(timer);
    await rm(output, { force: true });
  }
}

export const smartConcatRow: Row = {
  key: 'smart-concat',
  title: `smart concat: ${INTRO_SECONDS} s 720p25 intro + the ${SOURCE_SECONDS / 60}-minute 1080p30 source`,
  target: `only the intro re-encoded; ≥ ${MIN_SPEEDUP}× faster than a filter concat`,
  timeoutMs: 90 * 60_000,
  async measure(ctx: BenchContext) {
    const files = [ctx.media.intro, ctx.media.source];
    const ids = [await ctx.uploaded(files[0]!), await ctx.uploaded(files[1]!)];
    for (const f of files) await warmPageCache(f);
    const service: number[] = [];
    const checks = [];
    const phases = [];
    const methods = new Set<string>();
    const reencoded = new Set<string>();
    for (let i = 0; i < ctx.runs; i++) {
      const job = await ctx.api.concat(ids);
      await settle();
      const done = await ctx.api.runAndWait(job.id, 20 * 60_000);
      service.push(done.seconds);
      phases.push(jobPhases(done.job));
      methods.add(done.job.method ?? 'unknown');
      const result = (done.job as { result?: { reencodedInputs?: number[]; reencodedSec?: number } }).result;
      reencoded.add(`inputs [${result?.reencodedInputs?.join(', ') ?? '?'}], ${result?.reencodedSec ?? '?'} s`);
      checks.push(await checkJobOutput(ctx, done.job, checkIntroThenSource));
      ctx.log(`  run ${i + 1}: service ${secs(done.seconds)} (${done.job.method}, re-encoded ${[...reencoded].at(-1)}), ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
    }
    await settle();
    const filter = await bareFilterConcat(files, ctx.scratch);
    const filterSec = filter.seconds;
    const filterNote = filter.complete
      ? `filter concat of the same inputs ${secs(filterSec)} (1 run, bare FFmpeg)`
      : `filter concat of the same inputs ≈ ${secs(filterSec)} projected (bare FFmpeg, stopped after ${secs(filter.ranSec)} at ${filter.percent} %)`;
    ctx.log(`  bare ${filterNote}`);
    const serviceSec = median(service);
    const speedup = filterSec / serviceSec;
    const ex = summarizeExactness(checks);
    const onlyIntro = [...methods].join() === 'concat-smart' && [...reencoded].every((r) => r.startsWith('inputs [0],'));
    return {
      service: `${secs(serviceSec)} · ${ex.label} · ${[...methods].join('/')} · re-encoded ${[...reencoded].join(' / ')}`,
      beside: filterNote,
      verdict: `${speedup.toFixed(1)}× faster`,
      pass: onlyIntro && speedup >= MIN_SPEEDUP && ex.exact,
      exact: ex.exact,
      data: { serviceSec: service, filterSec, filter, speedup, methods: [...methods], reencoded: [...reencoded], phases, checks: ex.notes },
    };
  },
};
