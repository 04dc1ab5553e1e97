import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { JOB_ERROR_CODE_NAMES, JOB_STATUSES, JOB_TYPES, TRIM_MODES } from '../domain/job.js';
import { IMPORT_ERROR_CODES } from '../domain/import.js';
import { VIDEO_KINDS, VIDEO_STATUSES } from '../domain/video.js';

/** One schema per request; the same objects validate requests and generate the OpenAPI document. */

export const TIME_STRING = /^(\d{1,3}):([0-5]\d):([0-5]\d(?:\.\d{1,6})?)$/;

const TimeValue = z
  .union([z.number().min(0), z.string().regex(TIME_STRING)])
  .describe('Seconds (a non-negative number) or an "HH:MM:SS(.mmm)" string.');

const CallbackUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe(
    "A one-off receiver of this job's events and its output video's (`job.queued` … `job.completed`/`job.failed`/`job.cancelled`, `video.ready`, `video.deleted`), delivered like a webhook's and signed with the service-wide WEBHOOK_SECRET. Private and loopback addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true.",
  );

const Metadata = z
  .record(z.string(), z.json())
  .describe('Any JSON object of yours, up to 4 kB serialized; stored on the job and its output video and returned with both.');

export const TrimBody = z
  .strictObject({
    start: TimeValue,
    end: TimeValue,
    mode: z.enum(TRIM_MODES).default('accurate'),
    metadata: Metadata.optional(),
    callbackUrl: CallbackUrl.optional(),
  })
  .describe('A trim command: keep [start, end) of the video.');

export const ConcatBody = z
  .strictObject({
    videoIds: z.array(z.uuid()).min(2).max(100).describe('2 to 100 video ids, in play order; repeats allowed.'),
    metadata: Metadata.optional(),
    callbackUrl: CallbackUrl.optional(),
  })
  .describe('A concat command.');

export const RunBody = z
  .strictObject({
    jobIds: z.array(z.uuid()).max(10_000).optional().describe('Only these jobs (and the pending jobs they depend on).'),
    dryRun: z.boolean().optional().describe('Change nothing; answer what the run would do with each job (200 DryRunResult).'),
  })
  .describe('Which pending jobs to queue; an empty body queues every pending job.');

const limit = z.coerce.number().int().min(1).max(100).default(20);
const offset = z.coerce.number().int().min(0).max(1_000_000_000).default(0);

/** Admins only: the tenant whose records to list (others always see their own tenant's alone). */
export const TenantQuery = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
  .optional()
  .describe("Admin keys: list only this tenant's records (default: every tenant's). Ignored for other keys, which see their own tenant's only.");

export const VideoListQuery = z.object({
  tenant: TenantQuery,
  kind: z.enum(VIDEO_KINDS).optional(),
  status: z.enum(VIDEO_STATUSES).optional(),
  limit,
  offset,
});

export const JobListQuery = z.object({
  tenant: TenantQuery,
  status: z.enum(JOB_STATUSES).optional(),
  type: z.enum(JOB_TYPES).optional(),
  limit,
  offset,
});

export const IdParam = z.uuid();

/** Path parameters; a malformed id is answered 404 like an unknown one (ids.ts). */
export const VideoIdParams = z.object({ id: IdParam.describe('Video id') });
export const JobIdParams = z.object({ id: IdParam.describe('Job id') });

export const ImportBody = z
  .strictObject({
    url: z.string().min(1).max(2048).describe('An absolute http or https URL of the video file.'),
    name: z.string().min(1).max(255).optional().describe('The video\'s originalName (default: the last segment of the URL path).'),
  })
  .describe('An import from a URL.');

/** The multipart form of an upload. Multer reads it, so this schema only documents it. */
export const UploadForm = z.object({ file: z.file().describe('The video file.') });

const Timestamp = z.iso.datetime();

export const VideoSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(VIDEO_KINDS),
    status: z.enum(VIDEO_STATUSES),
    originalName: z.string().nullable(),
    sizeBytes: z.number().int().nullable(),
    durationSec: z.number().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    fps: z.number().nullable(),
    videoCodec: z.string().nullable(),
    audioCodec: z.string().nullable(),
    container: z.string().nullable(),
    sourceJobId: z.uuid().nullable(),
    downloadUrl: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).describe('The `metadata` of the command that produces it; `{}` for uploads and commands without.'),
    source: z.object({ url: z.string() }).nullable().describe('Where an imported video is fetched from (POST /api/videos/import); null otherwise.'),
    error: z.string().nullable().describe('Why an import failed; null otherwise (a failed output says why on its job).'),
    errorCode: z.enum(IMPORT_ERROR_CODES).nullable().describe('The stable code of `error`.'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Video' });

export const JobResultSchema = z
  .object({
    method: z.string(),
    firstFrameSec: z.number().describe('Presentation time of the output\'s first video frame.'),
    frameCount: z.number().int().describe('Video frames in the output.'),
    durationSec: z.number(),
    reencodedSec: z.number().describe('Seconds of video that were re-encoded: the head and tail of a smart cut, all of a re-encode, 0 for a copy.'),
    fallbackReason: z
      .string()
      .nullable()
      .describe('Why an accurate trim could not be a smart cut, or a concat neither a copy nor a smart concat, and was re-encoded whole; null otherwise.'),
    reencodedInputs: z
      .array(z.number().int().min(0))
      .optional()
      .describe('Concats only: the indexes (into `inputVideoIds`) of the inputs that were re-encoded: none for "concat-copy", all for "concat-filter", those that did not match the others for "concat-smart".'),
    normalizedFrameRate: z
      .string()
      .optional()
      .describe('"concat-filter" only: the constant frame rate of the output ("30/1"), the first input\'s stated rate (for a VFR first input its nominal rate, else the standard rate nearest its average). Every input, VFR ones included, is re-timed to it.'),
    vfrInputs: z
      .array(z.number().int().min(0))
      .optional()
      .describe('"concat-filter" only: the indexes (into `inputVideoIds`) of the inputs with a variable frame rate, re-timed to `normalizedFrameRate` (each output frame shows the source frame whose interval covers its time).'),
  })
  .meta({
    id: 'JobResult',
    examples: [{ method: 'smart-cut', firstFrameSec: 0, frameCount: 250, durationSec: 10, reencodedSec: 1.24, fallbackReason: null }],
  });

export const JobSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(JOB_TYPES),
    status: z.enum(JOB_STATUSES),
    params: z.union([
      z.object({ start: z.number(), end: z.number(), mode: z.enum(TRIM_MODES) }),
      z.object({}),
    ]),
    inputVideoIds: z.array(z.uuid()),
    outputVideoId: z.uuid(),
    dependsOn: z.array(z.uuid()),
    progress: z.number().min(0).max(100),
    attempts: z.number().int(),
    error: z.string().nullable().describe('Why the job (or, while it is retried, its last attempt) failed, with FFmpeg\'s stderr tail; for people.'),
    errorCode: z
      .enum(JOB_ERROR_CODE_NAMES)
      .nullable()
      .describe('Stable, for programs to branch on; set with `error`. `disk_full` covers ENOSPC and EDQUOT.'),
    retryable: z
      .boolean()
      .nullable()
      .describe('Whether retrying this job may succeed: true for crash-like failures; false for input errors and for `dependency_failed` (retry the dependency). Null without an error.'),
    method: z.string().nullable().describe('How the output was made: "smart-cut", "reencode" or "stream-copy" for trims, "concat-copy", "concat-smart" or "concat-filter" for concats.'),
    result: JobResultSchema.nullable().describe('What the output achieved, read from the output itself; set once the job completed.'),
    metadata: z.record(z.string(), z.unknown()).describe('The `metadata` given with the command; `{}` when none was.'),
    callbackUrl: z.string().nullable().describe('The `callbackUrl` given with the command; null when none was.'),
    createdAt: Timestamp,
    queuedAt: Timestamp.nullable(),
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Job' });

// Loose: a problem may carry extra members (`field`, `checks`).
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).describe('Stable, for programs to branch on; `detail` is for people.'),
    retryable: z.boolean().describe('Whether the same request, unchanged, may succeed later (retry with backoff, honouring Retry-After).'),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem document.' });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export const RunResult = z.object({ queued: z.array(z.uuid()) });

export const JobPlanSchema = z
  .object({
    jobId: z.uuid(),
    type: z.enum(JOB_TYPES),
    method: z
      .enum(['stream-copy', 'smart-cut', 'reencode', 'concat-copy', 'concat-smart', 'concat-filter'])
      .nullable()
      .describe('The method the worker will use; null when an input is still to be made, or the job would fail at once.'),
    reason: z.string().describe('Why that method (or why none), for people.'),
    expectedDurationSec: z.number().nullable().describe('Seconds of output it will make.'),
    reencodedSec: z.number().nullable().describe('Seconds of video it will re-encode (0 for a copy).'),
    estimatedRunSec: z
      .number()
      .nullable()
      .describe('Seconds it should take, from the speed this installation measured on its last 50 finished jobs; null until it has finished jobs of the kind needed.'),
  })
  .meta({ id: 'JobPlan' });

export const DryRunResult = z
  .object({ dryRun: z.literal(true), plans: z.array(JobPlanSchema) })
  .meta({
    id: 'DryRunResult',
    examples: [
      {
        dryRun: true,
        plans: [
          {
            jobId: '0b5e6c1e-1f0a-4c3e-9d2b-6a1f3e2d4c5b',
            type: 'trim',
            method: 'reencode',
            reason: 'codec mpeg4 is not H.264: full re-encode',
            expectedDurationSec: 4.08,
            reencodedSec: 4.08,
            estimatedRunSec: 1.9,
          },
        ],
      },
    ],
  });

export const Health = z.object({ status: z.literal('ok') });

export const Readiness = z.object({
  status: z.literal('ready'),
  checks: z.record(z.string(), z.string()).describe('Each backing part → "ok".'),
});

/** Seconds from a validated TimeValue. */
export function toSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = TIME_STRING.exec(v)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
