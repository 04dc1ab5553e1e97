import { rm } from 'node:fs/promises';
import path from 'node:path';
import { jobPhases } from '../api.js';
import { settle, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { firstFrameMod, lastFrameMod, probe, type Exactness } from '../frames.js';
import { median, secs, timed } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';
import { mustRun } from '../proc.js';
import { BOX_CYCLE, FPS, INTRO_SECONDS, SOURCE_SECONDS } from '../spec.js';
import { buildConcatFilterArgs } from '../../src/media/argv.js';
import { probeMedia } from '../../src/media/probe.js';

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

/** The service's own filter concat command (what a concat of differing inputs ran before smart concat), bare, once. */
async function bareFilterConcat(files: string[], scratch: string): Promise<number> {
  const inputs = await Promise.all(
    files.map(async (file) => {
      const probed = await probeMedia(file, { skipDecodeCheck: true });
      if (!probed.ok) throw new Error(`${file} does not probe: ${probed.reason}`);
      return { path: file, info: probed.info };
    }),
  );
  const output = path.join(scratch, 'bare-filter-concat.mp4');
  try {
    return (await timed(() => mustRun('ffmpeg', buildConcatFilterArgs({ inputs, output }), { timeoutMs: 60 * 60_000 }))).seconds;
  } finally {
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
    const filterSec = await bareFilterConcat(files, ctx.scratch);
    ctx.log(`  bare filter concat ${secs(filterSec)}`);
    const serviceSec = median(service);
    const speedup = filterSec / serviceSec;
    const ex = summarizeExactness(checks);
    const onlyIntro = [...methods].join() === 'concat-smart' && [...reencoded].every((r) => r.startsWith('inputs [0],'));
    return {
      service: `${secs(serviceSec)} · ${ex.label} · ${[...methods].join('/')} · re-encoded ${[...reencoded].join(' / ')}`,
      beside: `filter concat of the same inputs ${secs(filterSec)} (1 run, bare FFmpeg)`,
      verdict: `${speedup.toFixed(1)}× faster`,
      pass: onlyIntro && speedup >= MIN_SPEEDUP && ex.exact,
      exact: ex.exact,
      data: { serviceSec: service, filterSec, speedup, methods: [...methods], reencoded: [...reencoded], phases, checks: ex.notes },
    };
  },
};
