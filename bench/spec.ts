/** What the generated source looks like; the exactness checks read frames back with the same numbers. */
export const FPS = 30;
export const SOURCE_SECONDS = 600;
export const GOP_FRAMES = 60;
/** The smart-concat row's intro: another size and frame rate than the source. */
export const INTRO_SECONDS = 10;
export const INTRO_FPS = 25;
/** The small-source smart-cut row's source: 640x360 at the source's rate, numbered the same way. */
export const SMALL_SIZE = '640x360';
export const SMALL_SECONDS = 120;
export const BOX_SIZE = 96;
/** The box luma cycles through this many values, one step per frame. */
export const BOX_CYCLE = 40;
export const BOX_BASE = 20;
export const BOX_STEP = 5;

export const boxLumaOfFrame = (n: number): number => BOX_BASE + BOX_STEP * (n % BOX_CYCLE);

/** Frame number modulo BOX_CYCLE from a measured luma, or null when it is not near any step. */
export function frameModFromLuma(luma: number): number | null {
  const k = Math.round((luma - BOX_BASE) / BOX_STEP);
  if (k < 0 || k >= BOX_CYCLE) return null;
  return Math.abs(luma - (BOX_BASE + BOX_STEP * k)) <= 2 ? k : null;
}

export const frameAt = (seconds: number): number => Math.round(seconds * FPS);
