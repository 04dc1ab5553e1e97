// Literal `ffprobe -v error -print_format json -show_format -show_streams` output (ffmpeg 5.1),
// trimmed to the fields that matter and with neutral file names.

/** H.264 + AAC in mp4 (isom brand). */
export const MP4_H264_AAC = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      codec_type: 'video',
      width: 320,
      height: 240,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '4:3',
      pix_fmt: 'yuv420p',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      time_base: '1/12800',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '25',
      bit_rate: '163120',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'VideoHandler',
      },
    },
    {
      index: 1,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/44100',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '45',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      bit_rate: '70280',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'SoundHandler',
      },
    },
  ],
  format: {
    filename: 'clip.mp4',
    nb_streams: 2,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    format_long_name: 'QuickTime / MOV',
    start_time: '0.000000',
    duration: '1.000000',
    size: '31430',
    bit_rate: '251440',
    probe_score: 100,
    tags: {
      major_brand: 'isom',
      minor_version: '512',
      compatible_brands: 'isomiso2avc1mp41',
    },
  },
};

/** VP9 + Opus in WebM (no per-stream duration, only DURATION tags). */
export const WEBM_VP9_OPUS = {
  streams: [
    {
      index: 0,
      codec_name: 'vp9',
      profile: 'Profile 0',
      codec_type: 'video',
      width: 320,
      height: 240,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '4:3',
      pix_fmt: 'yuv420p',
      r_frame_rate: '30/1',
      avg_frame_rate: '30/1',
      time_base: '1/1000',
      start_time: '0.007000',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
      tags: {
        DURATION: '00:00:01.007000000',
      },
    },
    {
      index: 1,
      codec_name: 'opus',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/1000',
      start_time: '-0.007000',
      sample_rate: '48000',
      channels: 1,
      channel_layout: 'mono',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
      tags: {
        DURATION: '00:00:01.008000000',
      },
    },
  ],
  format: {
    filename: 'clip.webm',
    nb_streams: 2,
    format_name: 'matroska,webm',
    format_long_name: 'Matroska / WebM',
    start_time: '-0.007000',
    duration: '1.008000',
    size: '28350',
    bit_rate: '225000',
    probe_score: 100,
  },
};

/** H.264 + AAC in Matroska. */
export const MKV_H264_AAC = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      codec_type: 'video',
      width: 320,
      height: 240,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '4:3',
      pix_fmt: 'yuv420p',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      time_base: '1/1000',
      start_time: '0.021000',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
      tags: {
        DURATION: '00:00:01.021000000',
      },
    },
    {
      index: 1,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/1000',
      start_time: '0.000000',
      sample_rate: '48000',
      channels: 1,
      channel_layout: 'mono',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
      tags: {
        DURATION: '00:00:01.021000000',
      },
    },
  ],
  format: {
    filename: 'clip.mkv',
    nb_streams: 2,
    format_name: 'matroska,webm',
    format_long_name: 'Matroska / WebM',
    start_time: '0.000000',
    duration: '1.021000',
    size: '30664',
    bit_rate: '240266',
    probe_score: 100,
  },
};

/** QuickTime file: major_brand "qt  " (with trailing spaces), 29.97 fps. */
export const MOV_QT_BRAND = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      codec_type: 'video',
      width: 320,
      height: 240,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '4:3',
      pix_fmt: 'yuv420p',
      r_frame_rate: '30000/1001',
      avg_frame_rate: '30000/1001',
      time_base: '1/30000',
      start_time: '0.000000',
      duration: '1.001000',
      nb_frames: '30',
      bit_rate: '165418',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'VideoHandler',
      },
    },
    {
      index: 1,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/44100',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '45',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      bit_rate: '70280',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'SoundHandler',
      },
    },
  ],
  format: {
    filename: 'clip.mov',
    nb_streams: 2,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    format_long_name: 'QuickTime / MOV',
    start_time: '0.000000',
    duration: '1.001000',
    size: '32016',
    bit_rate: '255872',
    probe_score: 100,
    tags: {
      major_brand: 'qt  ',
      minor_version: '512',
      compatible_brands: 'qt  ',
    },
  },
};

/** AAC only, no video stream. */
export const M4A_AUDIO_ONLY = {
  streams: [
    {
      index: 0,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/44100',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '45',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      bit_rate: '70280',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'SoundHandler',
      },
    },
  ],
  format: {
    filename: 'audio.m4a',
    nb_streams: 1,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    format_long_name: 'QuickTime / MOV',
    start_time: '0.000000',
    duration: '1.000000',
    size: '9976',
    bit_rate: '79808',
    probe_score: 100,
    tags: {
      major_brand: 'M4A ',
      minor_version: '512',
      compatible_brands: 'M4A isomiso2',
    },
  },
};

/** A single PNG (png_pipe demuxer). */
export const PNG_IMAGE = {
  streams: [
    {
      index: 0,
      codec_name: 'png',
      codec_type: 'video',
      width: 64,
      height: 64,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '1:1',
      pix_fmt: 'rgb24',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      time_base: '1/25',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
    },
  ],
  format: {
    filename: 'image.png',
    nb_streams: 1,
    format_name: 'png_pipe',
    format_long_name: 'piped png sequence',
    size: '552',
    probe_score: 99,
  },
};

/** MP3 with an embedded cover picture (attached_pic video stream). */
export const MP3_WITH_COVER = {
  streams: [
    {
      index: 0,
      codec_name: 'mp3',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/14112000',
      start_time: '0.025057',
      duration: '1.044898',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      bit_rate: '64000',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
    },
    {
      index: 1,
      codec_name: 'png',
      codec_type: 'video',
      width: 64,
      height: 64,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '1:1',
      pix_fmt: 'rgb24',
      r_frame_rate: '90000/1',
      avg_frame_rate: '0/0',
      time_base: '1/90000',
      start_time: '0.025056',
      duration: '1.044900',
      disposition: {
        default: 0,
        attached_pic: 1,
      },
      tags: {
        comment: 'Other',
      },
    },
  ],
  format: {
    filename: 'song.mp3',
    nb_streams: 2,
    format_name: 'mp3',
    format_long_name: 'MP2/3 (MPEG audio layer 2/3)',
    start_time: '0.025056',
    duration: '1.044898',
    size: '9187',
    bit_rate: '70337',
    probe_score: 51,
  },
};

/** A one-frame GIF. */
export const GIF_STATIC = {
  streams: [
    {
      index: 0,
      codec_name: 'gif',
      codec_type: 'video',
      width: 64,
      height: 64,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '1:1',
      pix_fmt: 'bgra',
      r_frame_rate: '100/10',
      avg_frame_rate: '0/0',
      time_base: '1/100',
      start_time: '0.000000',
      duration: '0.100000',
      nb_frames: '1',
      disposition: {
        default: 0,
        attached_pic: 0,
      },
    },
  ],
  format: {
    filename: 'still.gif',
    nb_streams: 1,
    format_name: 'gif',
    format_long_name: 'CompuServe Graphics Interchange Format (GIF)',
    start_time: '0.000000',
    duration: '0.100000',
    size: '1844',
    bit_rate: '147520',
    probe_score: 100,
  },
};

/** Phone-style mp4: coded 320x240 with a 90° display matrix. */
export const MP4_ROTATED = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      codec_type: 'video',
      width: 320,
      height: 240,
      has_b_frames: 0,
      sample_aspect_ratio: '1:1',
      display_aspect_ratio: '4:3',
      pix_fmt: 'yuv420p',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      time_base: '1/12800',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '25',
      bit_rate: '163120',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'VideoHandler',
      },
      side_data_list: [
        {
          side_data_type: 'Display Matrix',
          rotation: 90,
        },
      ],
    },
    {
      index: 1,
      codec_name: 'aac',
      profile: 'LC',
      codec_type: 'audio',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: '1/44100',
      start_time: '0.000000',
      duration: '1.000000',
      nb_frames: '45',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      bit_rate: '70280',
      disposition: {
        default: 1,
        attached_pic: 0,
      },
      tags: {
        handler_name: 'SoundHandler',
      },
    },
  ],
  format: {
    filename: 'portrait.mp4',
    nb_streams: 2,
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    format_long_name: 'QuickTime / MOV',
    start_time: '0.000000',
    duration: '1.000000',
    size: '31430',
    bit_rate: '251440',
    probe_score: 100,
    tags: {
      major_brand: 'isom',
      minor_version: '512',
      compatible_brands: 'isomiso2avc1mp41',
    },
  },
};
