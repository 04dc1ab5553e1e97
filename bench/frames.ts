import { mustRun } from './proc.js';
import { BOX_CYCLE, BOX_SIZE, FPS, frameAt, frameModFromLuma } from './spec.js';

const CHECK_TIMEOUT_MS = 5 * 60_000;

// The inner part of the box, averaged to one luma byte per frame (extractplanes keeps raw Y values).
const INSET = 16;
const BOX_FILTER = `crop=${BOX_SIZE - 2 * INSET}:${BOX_SIZE - 2 * INSET}:${INSET}:${INSET},extractplanes=y,scale=1:1:flags=area`;

async function boxLumas(file: string, seek: string[], frames: string[]): Promise<number[]> {
  const r = await mustRun(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', ...seek, '-i', file, ...frames, '-an', '-vf', BOX_FILTER, '-f', 'rawvideo', '-'],
    { timeoutMs: CHECK_TIMEOUT_MS },
  );
  return [...r.stdout];
}

export async function firstFrameMod(file: string): Promise<number | null> {
  const [luma] = await boxLumas(file, [], ['-frames:v', '1']);
  return luma === undefined ? null : frameModFromLuma(luma);
}

/** Seeks near the end (input -ss, so fast on big files) and keeps the last decoded frame. */
export async function lastFrameMod(file: string): Promise<number | null> {
  const lumas = await boxLumas(file, ['-sseof', '-3'], []);
  const luma = lumas.at(-1);
  return luma === undefined ? null : frameModFromLuma(luma);
}

export async function probe(file: string): Promise<{ frames: number; durationSec: number }> {
  const r = await mustRun(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', file],
    { timeoutMs: CHECK_TIMEOUT_MS },
  );
  const j = JSON.parse(r.stdout.toString()) as { streams?: { nb_read_frames?: string }[]; format?: { duration?: string } };
  return { frames: Number(j.streams?.[0]?.nb_read_frames ?? NaN), durationSec: Number(j.format?.duration ?? NaN) };
}

export interface Exactness {
  exact: boolean;
  /** One line saying what was checked and what was found. */
  note: string;
}

const mod = (n: number): number => ((n % BOX_CYCLE) + BOX_CYCLE) % BOX_CYCLE;
const show = (v: number | null): string => (v === null ? '?' : String(v));

/** Signed distance from `want` to `got` on the frame-number cycle, in (-cycle/2, cycle/2]. */
const cycleDelta = (got: number, want: number): number => {
  const d = mod(got - want);
  return d > BOX_CYCLE / 2 ? d - BOX_CYCLE : d;
};

/**
 * Accurate: the first frame is the source frame at `start`, the last the one at `end - 1/fps`, and
 * the count is (end - start)·fps within one. Copy: the cut may start early, on the keyframe before
 * `start` (reported as the start offset), but must end exactly; the count must agree with both ends.
 */
export async function checkTrim(file: string, start: number, end: number, mode: 'copy' | 'accurate'): Promise<Exactness & { startOffsetSec: number | null; lateFrames: number | null }> {
  const first = await firstFrameMod(file);
  const last = await lastFrameMod(file);
  const { frames } = await probe(file);
  const wantFirst = frameAt(start);
  const wantLast = frameAt(end - 1 / FPS);
  const wantFrames = frameAt(end - start);
  const seen = `first ≡${show(first)} last ≡${show(last)} (mod ${BOX_CYCLE}), ${frames} frames`;
  const late = last === null ? null : cycleDelta(last, wantLast);
  if (mode === 'accurate') {
    const exact = first === mod(wantFirst) && late === 0 && Math.abs(frames - wantFrames) <= 1;
    return { exact, note: `${seen}; want ≡${mod(wantFirst)}, ≡${mod(wantLast)}, ${wantFrames}±1`, startOffsetSec: exact ? 0 : null, lateFrames: late };
  }
  const early = late === null ? null : frames - wantFrames - late;
  const consistent = first !== null && early !== null && early >= 0 && mod(wantFirst - early) === first;
  const exact = consistent && late === 0;
  const startOffsetSec = consistent ? -early! / FPS : null;
  const lateNote = late === null ? 'end unreadable' : late === 0 ? 'ends exactly' : `ends ${late > 0 ? '+' : ''}${late} frames off`;
  return {
    exact,
    note: `${seen}; want last ≡${mod(wantLast)}, ${wantFrames} frames + any before start; ${lateNote}`,
    startOffsetSec,
    lateFrames: late,
  };
}

export async function checkConcat(file: string, pieceSeconds: number[]): Promise<Exactness> {
  const total = pieceSeconds.reduce((a, b) => a + b, 0);
  const wantFrames = frameAt(total);
  const first = await firstFrameMod(file);
  const last = await lastFrameMod(file);
  const { frames, durationSec } = await probe(file);
  const exact = frames === wantFrames && Math.abs(durationSec - total) <= 0.1 && first === 0 && last === mod(wantFrames - 1);
  return {
    exact,
    note: `${frames} frames, ${durationSec.toFixed(3)} s, first ≡${show(first)} last ≡${show(last)}; want ${wantFrames}, ${total} s, ≡0, ≡${mod(wantFrames - 1)}`,
  };
}
