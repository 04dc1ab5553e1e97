import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { isRetryableJobError } from '../../../src/domain/job.js';
import { FfmpegError } from '../../../src/media/runner.js';
import { classifyError } from '../../../workers/job-runner.js';

const errno = (code: string) => Object.assign(new Error(`${code}: write failed`), { code });

describe('classifying a failed attempt', () => {
  it('when FFmpeg exits non-zero, then it is ffmpeg_failed with its stderr tail, retryable', () => {
    const f = classifyError(new FfmpegError('ffmpeg failed', { exitCode: 1, stderrTail: 'Invalid data found when processing input' }));
    expect(f).toEqual({ code: 'ffmpeg_failed', message: 'FFmpeg failed (exit 1): Invalid data found when processing input' });
    expect(isRetryableJobError(f.code)).toBe(true);
  });

  it('when FFmpeg or the file system runs out of space or quota, then it is disk_full', () => {
    expect(classifyError(new FfmpegError('x', { exitCode: 1, stderrTail: 'av_interleaved_write_frame(): No space left on device' })).code).toBe('disk_full');
    expect(classifyError(new FfmpegError('x', { exitCode: 1, stderrTail: 'Error writing trailer: Disk quota exceeded' })).code).toBe('disk_full');
    expect(classifyError(errno('ENOSPC')).code).toBe('disk_full');
    expect(classifyError(errno('EDQUOT')).code).toBe('disk_full');
  });

  it('when the input cannot work, then it is input_invalid and not retryable', () => {
    const media = Object.assign(new Error('seconds must not be negative'), { name: 'MediaInputError' });
    for (const err of [new InputError('no media information'), media]) {
      const f = classifyError(err);
      expect(f.code).toBe('input_invalid');
      expect(isRetryableJobError(f.code)).toBe(false);
    }
  });

  it('when anything else fails, then it is internal_error and retryable', () => {
    expect(classifyError(errno('EIO'))).toEqual({ code: 'internal_error', message: 'EIO: write failed' });
    expect(classifyError('weird')).toEqual({ code: 'internal_error', message: 'weird' });
  });
});
