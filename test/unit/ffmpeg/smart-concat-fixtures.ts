import type { SmartConcatTarget } from '../../../src/media/smart-concat-plan.js';

/** The target a 1080p30 H.264 High 4.0 main with B-frames and stereo AAC sets. */
export const MAIN_TARGET: SmartConcatTarget = {
  width: 1920,
  height: 1080,
  rate: { num: 30, den: 1 },
  timeBase: { num: 1, den: 15360 },
  profile: 'high',
  level: 40,
  pixFmt: 'yuv420p',
  dtsShiftTicks: 1024,
  audio: { sampleRate: 48000, channels: 2, channelLayout: 'stereo' },
};
