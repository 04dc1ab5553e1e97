import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { InputStager, VideoStore } from '../core/ports.js';
import { conflict, notFound, validation } from '../domain/errors.js';
import { visibleTo, type TenantFilter } from '../domain/tenant.js';
import type { Video } from '../domain/video.js';
import { storyboardLayout, type StoryboardLayout } from '../media/preview.js';

/** What the preview service needs of FFmpeg; src/media/preview.ts provides it, unit tests fake it. */
export interface PreviewMedia {
  thumbnail(input: string, output: string, timeSec: number, width: number): Promise<void>;
  storyboard(input: string, output: string, layout: StoryboardLayout): Promise<void>;
  keyframes(input: string): Promise<number[]>;
}

export interface PreviewFile {
  file: string;
  etag: string;
}

export interface StoryboardIndex {
  videoId: string;
  imageUrl: string;
  durationSec: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  tiles: { t: number; x: number; y: number }[];
}

export interface Keyframes {
  videoId: string;
  durationSec: number;
  keyframes: number[];
}

/**
 * Posters, thumbnails, storyboards and keyframe lists of ready videos, made on first request and
 * cached on disk beside the videos. Cache names start with the video's storage key, which changes
 * whenever its file is made again (a retried job), so a cached image never outlives its file.
 */
export class PreviewService {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly videos: VideoStore,
    private readonly inputs: InputStager,
    private readonly cacheDir: string,
    private readonly media: PreviewMedia,
  ) {}

  async thumbnail(id: string, q: { t?: number | undefined; width: number }, tenant: TenantFilter = null): Promise<PreviewFile> {
    const { video, key, duration } = await this.ready(id, tenant);
    if (q.t !== undefined && q.t > duration) throw validation(`t (${q.t}) is beyond the end of the video (${duration} s).`, { field: 't' });
    // The last frame starts one frame before the end; a seek past it finds nothing to show.
    const lastFrame = Math.max(0, duration - 1 / (video.fps ?? 25));
    const t = Math.min(q.t ?? Math.min(1, duration / 4), lastFrame);
    const t3 = t.toFixed(2);
    const name = `${key}.thumb-${t3}-${q.width}.jpg`;
    const file = await this.cached(name, (out) => this.fromInput(key, (input) => this.media.thumbnail(input, out, Number(t3), q.width)));
    return { file, etag: `"${name}"` };
  }

  async storyboard(id: string, tenant: TenantFilter = null): Promise<StoryboardIndex> {
    const { video, duration } = await this.ready(id, tenant);
    const layout = storyboardLayout(duration);
    const aspect = video.width && video.height ? video.height / video.width : 9 / 16;
    const tileHeight = 2 * Math.round((layout.tileWidth * aspect) / 2);
    const tiles = Array.from({ length: layout.tiles }, (_, i) => ({
      t: Math.round(i * layout.intervalSec * 1000) / 1000,
      x: (i % layout.columns) * layout.tileWidth,
      y: Math.floor(i / layout.columns) * tileHeight,
    }));
    return {
      videoId: video.id,
      imageUrl: `/api/videos/${video.id}/storyboard.jpg`,
      durationSec: duration,
      columns: layout.columns,
      rows: layout.rows,
      tileWidth: layout.tileWidth,
      tileHeight,
      tiles,
    };
  }

  async storyboardImage(id: string, tenant: TenantFilter = null): Promise<PreviewFile> {
    const { key, duration } = await this.ready(id, tenant);
    const layout = storyboardLayout(duration);
    const name = `${key}.storyboard-${layout.tiles}x${layout.tileWidth}.jpg`;
    const file = await this.cached(name, (out) => this.fromInput(key, (input) => this.media.storyboard(input, out, layout)));
    return { file, etag: `"${name}"` };
  }

  async keyframes(id: string, tenant: TenantFilter = null): Promise<Keyframes> {
    const { video, key, duration } = await this.ready(id, tenant);
    const name = `${key}.keyframes.json`;
    const file = await this.cached(name, async (out) => {
      await writeFile(out, JSON.stringify(await this.fromInput(key, (input) => this.media.keyframes(input))));
    });
    const keyframes = JSON.parse(await readFile(file, 'utf8')) as number[];
    return { videoId: video.id, durationSec: duration, keyframes };
  }

  private async fromInput<T>(key: string, work: (input: string) => Promise<T>): Promise<T> {
    const input = await this.inputs.stage(key).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? notFound(`The stored file ${key} of the video is gone.`, 'video_file_missing') : err;
    });
    try {
      return await work(input.path);
    } finally {
      input.release();
    }
  }

  private async ready(id: string, tenant: TenantFilter): Promise<{ video: Video; key: string; duration: number }> {
    const video = await this.videos.findById(id);
    if (!video || !visibleTo(video, tenant)) throw notFound(`Video ${id} does not exist.`, 'video_not_found');
    if (video.status !== 'ready' || !video.storageKey || !video.durationSec) {
      throw conflict(`Video ${id} is not ready: its status is ${video.status}.`, 'video_not_ready', video.status !== 'failed');
    }
    return { video, key: video.storageKey, duration: video.durationSec };
  }

  /** The cached file `name`, made once by `make` (under a temp name, then renamed) however many ask at once. */
  private async cached(name: string, make: (out: string) => Promise<void>): Promise<string> {
    const file = path.join(this.cacheDir, name);
    if (await exists(file)) return file;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = (async () => {
        await mkdir(this.cacheDir, { recursive: true });
        const temp = path.join(this.cacheDir, `.${randomUUID()}${path.extname(name)}`);
        try {
          await make(temp);
          if (!(await exists(temp))) throw new Error(`making ${name} wrote nothing`);
          await rename(temp, file);
        } finally {
          await unlink(temp).catch(() => {});
        }
      })().finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    await pending;
    return file;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}
