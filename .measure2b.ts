import { runSmartCut } from '/work/wt-concat/src/media/smart-cut.js';
import { mustProbe, packetSpans } from '/work/wt-concat/test/helpers/media.js';
const dir = '/tmp/cx/m2';
const src = `${dir}/src2-full-audio.mp4`;
const info = await mustProbe(src);
for (const [s, e] of [[1.51, 3.29], [4.2, 6.1], [0.5, 2.25], [3.1, 5.55], [1.1, 2.9], [2.35, 4.77], [5.05, 7.4], [0.77, 1.93]] as const) {
  const output = `${dir}/c-${s}.mp4`;
  await runSmartCut({ input: src, output, start: s, end: e, info, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', scratchDir: dir, signal: new AbortController().signal, onProgress: () => {} });
  const { video, audio } = await packetSpans(output);
  const m = await mustProbe(output);
  console.log(s, e, 'video', video.map((x) => x.toFixed(6)), 'audio', audio.map((x) => x.toFixed(6)), 'format dur', m.durationSec, 'video dur', m.video.durationSec);
}
