import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '../../../src/media/media-info.js';
import { MAIN_TARGET } from './smart-concat-fixtures.js';
import { copyKey, planSmartConcat, targetRefusal, type ConcatStreamDetails, type SmartConcatInput } from '../../../src/media/smart-concat-plan.js';

function details(over: { video?: Partial<ConcatStreamDetails['video']>; audio?: Partial<NonNullable<ConcatStreamDetails['audio']>> | null; audioOverhangSec?: number | null; audioLeadSec?: number | null } = {}): ConcatStreamDetails {
  const audio = over.audio === null ? null : { codec: 'aac', profile: 'LC', sampleRate: 48000, channels: 2, channelLayout: 'stereo', ...over.audio };
  return {
    streamTypes: audio ? ['video', 'audio'] : ['video'],
    audioOverhangSec: over.audioOverhangSec === undefined ? 0.01 : over.audioOverhangSec,
    audioLeadSec: over.audioLeadSec === undefined ? 0 : over.audioLeadSec,
    video: { codec: 'h264', profile: 'High', level: 40, codedWidth: 1920, codedHeight: 1080, pixFmt: 'yuv420p', fieldOrder: 'progressive', timeBase: '1/15360', decodeDelayTicks: 1024, ...over.video },
    audio,
  };
}

function info(over: { durationSec?: number; width?: number; height?: number; frameRate?: string; fps?: number; codec?: string; container?: string; audio?: boolean; frameCount?: number | null } = {}): MediaInfo {
  const fps = over.fps ?? 30;
  const durationSec = over.durationSec ?? 600;
  return {
    container: over.container ?? 'mp4',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: 1,
    bitRate: null,
    video: {
      codec: over.codec ?? 'h264',
      profile: 'High',
      width: over.width ?? 1920,
      height: over.height ?? 1080,
      fps,
      frameRate: over.frameRate ?? `${fps}/1`,
      pixFmt: 'yuv420p',
      sar: '1:1',
      timeBase: '1/15360',
      hasBFrames: true,
      frameCount: over.frameCount === undefined ? Math.round(durationSec * fps) : over.frameCount,
      durationSec,
    },
    audio: over.audio === false ? null : { codec: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo' },
  };
}

const main: SmartConcatInput = { path: '/v/main.mp4', info: info(), details: details() };
const intro: SmartConcatInput = {
  path: '/v/intro.mp4',
  info: info({ durationSec: 10, width: 1280, height: 720, fps: 25 }),
  details: details({ video: { codedWidth: 1280, codedHeight: 720, level: 31, timeBase: '1/12800' } }),
};

describe('planSmartConcat', () => {
  it('when an input has a variable frame rate, then there is no smart concat: only a filter concat re-times it, and says so', () => {
    const vfr: SmartConcatInput = { ...intro, info: { ...intro.info, video: { ...intro.info.video, variableFrameRate: true } } };
    expect(planSmartConcat([main, vfr])).toEqual({ ok: false, reason: 'input 1 has a variable frame rate (a filter concat re-times it to a constant rate)' });
  });

  it('when a short intro comes before a long main, then the main is the target and only the intro is re-encoded, at the main\'s rate', () => {
    const plan = planSmartConcat([intro, main]);
    expect(plan).toMatchObject({ ok: true, targetInput: 1, reencodedInputs: [0], reencodedSec: 10, lengthSec: 610 });
    if (!plan.ok) return;
    expect(plan.target).toEqual(MAIN_TARGET);
    expect(plan.steps).toEqual([
      { kind: 'encode', input: 0, piece: 0, frames: 300, durationSec: 10 },
      { kind: 'copy', input: 1, durationSec: 600 },
    ]);
  });

  it('when the same file is given twice, then it counts once for the target and is re-encoded once', () => {
    // Two 10 s intros would outweigh a 15 s main if they counted twice.
    const shortMain = { ...main, info: info({ durationSec: 15 }) };
    const plan = planSmartConcat([intro, shortMain, intro]);
    expect(plan).toMatchObject({ ok: true, targetInput: 1, reencodedInputs: [0, 2], reencodedSec: 10, lengthSec: 35 });
    expect(plan.ok && plan.steps[2]).toEqual({ kind: 'encode', input: 2, piece: 0, frames: 300, durationSec: 10 });
  });

  it('when two groups hold as many seconds, then the earlier is the target', () => {
    const other = { ...intro, path: '/v/other.mp4', info: info({ durationSec: 600, width: 1280, height: 720, fps: 25 }) };
    expect(planSmartConcat([other, main])).toMatchObject({ ok: true, targetInput: 0, reencodedInputs: [1] });
  });

  it('when inputs differ only in their B-frame delay, then the one that differs is re-encoded (its dts would collide at the join)', () => {
    const noB = { ...main, path: '/v/no-b.mp4', info: info({ durationSec: 5 }), details: details({ video: { decodeDelayTicks: 0 } }) };
    expect(copyKey(noB)).not.toBe(copyKey(main));
    expect(planSmartConcat([main, noB])).toMatchObject({ ok: true, targetInput: 0, reencodedInputs: [1] });
  });

  it('when a copied input records no frame count, then its length on the grid comes from its duration', () => {
    const plan = planSmartConcat([{ ...main, info: info({ durationSec: 60, frameCount: null }) }, intro]);
    expect(plan.ok && plan.steps[0]).toEqual({ kind: 'copy', input: 0, durationSec: 60 });
  });

  it('when no input can be the target, then the plan says why for the first input', () => {
    const mpeg4 = { ...intro, info: info({ codec: 'mpeg4' }) };
    const mkv = { ...main, info: info({ container: 'matroska' }) };
    expect(planSmartConcat([mpeg4, mkv])).toEqual({ ok: false, reason: 'no input can be matched by the encoder (input 0: codec mpeg4 is not H.264)' });
  });

  it('when the target has no audio but another input has, then it is no smart concat (the filter concat keeps that audio)', () => {
    const silent = { ...main, info: info({ audio: false }), details: details({ audio: null, audioOverhangSec: null, audioLeadSec: null }) };
    expect(planSmartConcat([silent, intro])).toEqual({ ok: false, reason: 'input 0 has no audio but input 1 has' });
  });
});

describe('targetRefusal', () => {
  it.each([
    [{ details: details({ video: { profile: 'High 4:4:4' } }) }, 'profile High 4:4:4 cannot be matched'],
    [{ details: details({ video: { pixFmt: 'yuv420p12le' } }) }, 'pixel format yuv420p12le cannot be matched'],
    [{ details: details({ video: { codedWidth: 1919 } }) }, 'odd or unknown frame size'],
    [{ details: details({ video: { fieldOrder: 'tt' } }) }, 'interlaced video'],
    [{ details: details({ video: { timeBase: '1001/30000' } }) }, 'unusable time base 1001/30000'],
    [{ details: details({ video: { decodeDelayTicks: null } }) }, 'unknown decode delay'],
    [{ details: details({ audio: { profile: 'HE-AAC' } }) }, 'audio aac HE-AAC cannot be matched (AAC LC can)'],
    [{ details: details({ audioOverhangSec: -0.63 }) }, 'its audio ends 0.63 s before its video'],
    [{ details: details({ audioOverhangSec: 0.2 }) }, 'its audio outlasts its video by 0.2 s'],
    [{ details: details({ audioLeadSec: 0.08 }) }, 'its audio starts 0.08 s before its video'],
    [{ details: { ...details(), streamTypes: ['video', 'audio', 'data'] } }, 'streams other than one video and one audio'],
    [{ details: null }, 'its streams cannot be probed'],
  ])('when %o, then it cannot be the target: %s', (over, reason) => {
    expect(targetRefusal({ ...main, ...over })).toBe(reason);
    expect(copyKey({ ...main, ...over })).toBeNull();
  });

  it('when the input is a plain H.264/AAC mp4, then it can be the target', () => {
    expect(targetRefusal(main)).toBeNull();
  });
});
