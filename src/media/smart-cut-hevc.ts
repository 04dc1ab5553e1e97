/**
 * What a smart cut of HEVC needs beyond H.264's: which sources x265 can match, the x265 settings of
 * a re-encoded piece, and how the copied part and the joined output carry their parameter sets.
 *
 * x265 numbers its VPS, SPS and PPS 0, like nearly every HEVC encoder, so the pieces cannot use ids
 * of their own (as the H.264 pieces do). Instead every piece carries its own parameter sets in-band
 * at its first picture: the re-encoded pieces through x265's repeated headers, the copied part
 * through hevc_mp4toannexb, which puts the source's sample-entry sets before each of its random
 * access pictures. A decoder thus meets, before each piece, the sets that piece was coded with. In
 * mp4 that is allowed for 'hev1' tracks only ('hvc1' keeps every set in the sample entry), so the
 * output is tagged hev1. New sets may only be activated where a coded video sequence starts: at the
 * re-encoded pieces' IDR pictures, and at the copy's first keyframe, which may be a CRA (x265's open
 * GOP) and so starts one only after an end of sequence, which the head is given
 * (hevc-end-of-sequence.ts). That CRA's leading pictures are re-encoded by the head, not copied.
 */

/** The ffprobe fields of an HEVC stream that decide whether x265 can match it. */
export interface HevcStreamFields {
  profile?: unknown;
  pix_fmt?: unknown;
  level?: unknown;
}

export type HevcCoding = { ok: true; profile: string; pixFmt: string; level: number | null } | { ok: false; reason: string };

/** ffprobe's HEVC profile names that a piece is encoded in, with the x265 profile and the pixel formats it takes. */
const X265_PROFILES: Readonly<Record<string, { profile: string; pixFmts: readonly string[] }>> = {
  Main: { profile: 'main', pixFmts: ['yuv420p', 'yuvj420p'] },
  'Main 10': { profile: 'main10', pixFmts: ['yuv420p10le'] },
};

/** general_level_idc values (30 × the level) that HEVC defines. */
const HEVC_LEVELS = new Set([30, 60, 63, 90, 93, 120, 123, 150, 153, 156, 180, 183, 186]);

/**
 * NAL unit types of the random access pictures (BLA, IDR, CRA) a copy may start on: each can be
 * decoded without the pictures before it, once its leading pictures are left out.
 */
export const HEVC_IRAP_TYPES = '16-21';

/**
 * The x265 profile, pixel format and level matching an HEVC stream, or why there are none. Only
 * 4:2:0 Main and Main 10 are matched; the range extensions (4:2:2, 4:4:4, 12-bit, which ffprobe
 * calls "Rext") are refused rather than re-encoded into a profile the copied part does not have.
 */
export function matchHevcCoding(s: HevcStreamFields): HevcCoding {
  const profile = typeof s.profile === 'string' && Object.hasOwn(X265_PROFILES, s.profile) ? X265_PROFILES[s.profile]! : null;
  if (!profile) return { ok: false, reason: `HEVC profile ${String(s.profile)} cannot be matched (only Main and Main 10)` };
  if (typeof s.pix_fmt !== 'string' || !profile.pixFmts.includes(s.pix_fmt)) {
    return { ok: false, reason: `pixel format ${String(s.pix_fmt)} cannot be matched in HEVC ${String(s.profile)}` };
  }
  const level = Number(s.level);
  return { ok: true, profile: profile.profile, pixFmt: s.pix_fmt, level: HEVC_LEVELS.has(level) ? level : null };
}

/**
 * x265 for a piece that sits between stream-copied HEVC: the given profile, pixel format and level;
 * no B-frames (decode order = display order, as the dts shift expects); one closed GOP (its first
 * picture an IDR, which starts a new coded video sequence, so its parameter sets may differ from
 * those before it); and the VPS/SPS/PPS repeated in-band before that IDR (see the file comment).
 */
export function hevcPieceEncoderArgs(p: { timescale: number; pixFmt: string; profile: string; level: number | null }): string[] {
  const params = ['log-level=error', 'bframes=0', 'open-gop=0', 'keyint=-1', 'repeat-headers=1', 'info=0'];
  if (p.level !== null) params.push(`level-idc=${(p.level / 30).toFixed(1)}`);
  return [
    // The source's frame spacing, in its own timescale (as for the x264 pieces).
    ...['-fps_mode', 'passthrough', '-enc_time_base', `1/${p.timescale}`],
    ...['-c:v', 'libx265', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', p.pixFmt, '-profile:v', p.profile],
    ...['-x265-params', params.join(':')],
  ];
}

/**
 * How far before a piece's first frame its encode starts decoding (seconds from the file start). The
 * mov demuxer seeks by decode time, and a CRA keyframe is decoded some frames before it is shown: a
 * seek just before the piece can land on a CRA shown after its first frames, which are then that
 * CRA's leading pictures, skipped by the decoder for want of the GOP before. HEVC reorders at most
 * 16 pictures (sps_max_num_reorder_pics ≤ 15), so from 17 frames (and at least a second) earlier
 * the keyframe the seek lands on is shown before the piece starts.
 */
export function hevcDecodeFrom(seekTo: number, frameSec = 0): number {
  return Math.max(0, seekTo - Math.max(1, 17 * frameSec));
}

/**
 * Bitstream filters of the copied part: the source's parameter sets put in-band before every random
 * access picture, and the first keyframe's leading pictures left out (every packet shown before the
 * keyframe, where the copy's timestamps start at 0; half a millisecond absorbs the µs rounding of
 * -ss). Its RASL pictures refer to the GOP before, which the output does not have: the head
 * re-encodes those frames instead.
 */
export const HEVC_COPY_BSF = 'hevc_mp4toannexb,noise=drop=lt(pts*tb\\,-0.0005)';

/** Output options of the joined HEVC: a track whose parameter sets may also come in-band (see the file comment). */
export const HEVC_JOIN_ARGS: readonly string[] = ['-tag:v', 'hev1'];
