import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/sql-client.js';
import { conflict, notFound, validation } from '../domain/errors.js';
import type { Job, TrimParams } from '../domain/job.js';
import type { Video, VideoKind } from '../domain/video.js';
import { JobRepository } from '../repositories/job.repository.js';
import { VideoRepository } from '../repositories/video.repository.js';
import type { Notifier } from './notifier.js';

// ffprobe durations are rounded to microseconds; an end equal to the duration must pass.
const DURATION_TOLERANCE_SEC = 0.0005;

/** Records trim and concat commands: a pending job and its pending output video, nothing run. */
export class CommandService {
  constructor(
    private readonly sql: Sql,
    private readonly notify: Notifier,
  ) {}

  async trim(videoId: string, params: TrimParams): Promise<Job> {
    return this.record('trim', [videoId], params, (inputs) => {
      const input = inputs[0]!;
      if (input.status === 'ready' && input.durationSec !== null && params.end > input.durationSec + DURATION_TOLERANCE_SEC) {
        throw validation(`end (${params.end}) is beyond the duration of video ${input.id} (${input.durationSec} s).`, { field: 'end' });
      }
    });
  }

  async concat(videoIds: string[]): Promise<Job> {
    return this.record('concat', videoIds, {}, () => {});
  }

  private async record(
    type: 'trim' | 'concat',
    inputIds: string[],
    params: Job['params'],
    check: (inputs: Video[]) => void,
  ): Promise<Job> {
    const { job, output } = await this.sql.begin(async (tx) => {
      const videos = new VideoRepository(tx);
      const jobs = new JobRepository(tx);
      const unique = [...new Set(inputIds)];
      // FOR SHARE: a concurrent DELETE of an input waits until this command is recorded, then sees it.
      const found = await tx<Video[]>`SELECT * FROM videos WHERE id = ANY(${unique}::uuid[]) FOR SHARE`;
      const byId = new Map(found.map((v) => [v.id, v]));
      const missing = inputIds.find((id) => !byId.has(id));
      if (missing) throw notFound(`Video ${missing} does not exist.`);
      const inputs = inputIds.map((id) => byId.get(id)!);
      const failedInput = inputs.find((v) => v.status === 'failed');
      if (failedInput) throw conflict(`Video ${failedInput.id} is failed and cannot be used as an input.`);
      check(inputs);

      const jobId = randomUUID();
      const outputKind: VideoKind = type;
      const output = await videos.insert({
        id: randomUUID(),
        kind: outputKind,
        status: 'pending',
        originalName: null,
        storageKey: null,
        sourceJobId: jobId,
        metadata: null,
      });
      const dependsOn = [...new Set(inputs.map((v) => v.sourceJobId).filter((id): id is string => id !== null))];
      const job = await jobs.insert({ id: jobId, type, params, inputVideoIds: inputIds, outputVideoId: output.id, dependsOn });
      return { job, output };
    });
    this.notify.videos([output]);
    this.notify.jobs([job]);
    return job;
  }
}
