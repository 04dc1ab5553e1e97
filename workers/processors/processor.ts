import type { Job } from '../../src/domain/job.js';
import type { Video } from '../../src/domain/video.js';
import type { MediaLogger } from '../../src/media/logger.js';
import type { MediaInfo } from '../../src/media/media-info.js';

export interface ProcessorContext {
  job: Job;
  /** The input videos in the job's order (repeats included), all ready. */
  inputs: Video[];
  /** The files of `inputs`, in the same order. */
  inputPaths: string[];
  /** Where the output must be written; the runner renames it into place. */
  outputPath: string;
  /** A scratch file name under tmp/ the processor may use (removed afterwards). */
  scratchPath: string;
  ffmpegPath: string;
  ffprobePath: string;
  signal: AbortSignal;
  onProgress: (percent: number) => void;
  /** Where a failed FFmpeg command is logged whole. */
  logger: MediaLogger;
}

export interface ProcessorResult {
  /** Which FFmpeg path made the output, recorded on the job. */
  method: string;
  /** The container the output was written in (it names the stored file's extension). */
  container: string;
  /** Seconds of video re-encoded to make it; absent: all of it for a re-encode, none for a copy. */
  reencodedSec?: number;
  /** Why an accurate trim could not be a smart cut (a concat a copy or smart concat) and was re-encoded whole. */
  fallbackReason?: string | null;
  /** A concat's inputs that were re-encoded, by index. */
  reencodedInputs?: number[];
  /**
   * The input whose streams the output copies unchanged (a copy trim, a concat copy): the output is
   * then described from its sample tables and this input's codecs, where its container allows.
   */
  streamsCopiedFrom?: MediaInfo;
  /** A filter concat's constant output rate ("30/1"), to which its VFR inputs were re-timed. */
  normalizedFrameRate?: string;
  /** A filter concat's inputs with a variable frame rate, by index: re-timed to `normalizedFrameRate`. */
  vfrInputs?: number[];
}

export type Processor = (ctx: ProcessorContext) => Promise<ProcessorResult>;
