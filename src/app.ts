import { createHash } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { apiKeyAuth } from './http/auth.middleware.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { eventsRouter } from './http/events.routes.js';
import { jobsRouter } from './http/jobs.routes.js';
import type { DownloadMode } from './http/download.js';
import { linksRouter, signedDownloadRouter } from './http/links.routes.js';
import type { Metrics } from './http/metrics.js';
import type { Drain } from './http/drain.js';
import { openApiRouter } from './http/openapi.js';
import { previewsRouter } from './http/previews.routes.js';
import { sessionRouter } from './http/session.routes.js';
import { studioPage } from './http/studio.static.js';
import type { EventFeed } from './outbox/event-feed.js';
import { serviceRouter, type ReadinessCheck } from './http/service.routes.js';
import { idempotency } from './http/idempotency.middleware.js';
import { freeSpaceGuard, uploadMiddleware } from './http/upload.middleware.js';
import type { IdempotencyKeyStore } from './repositories/idempotency-key.repository.js';
import { videosRouter } from './http/videos.routes.js';
import { uploadsRouter } from './http/uploads.routes.js';
import type { ResumableUploadService } from './services/resumable-upload.service.js';
import type { UrlImportService } from './services/url-import.service.js';
import { webhooksRouter } from './http/webhooks.routes.js';
import { callbacksRouter } from './http/callbacks.routes.js';
import type { CommandService } from './services/command.service.js';
import type { DownloadService } from './services/download.service.js';
import type { JobService } from './services/job.service.js';
import type { PreviewService } from './services/preview.service.js';
import type { PlanService } from './services/plan.service.js';
import type { RunService } from './services/run.service.js';
import type { SignedLinkService } from './services/signed-link.service.js';
import type { UploadService } from './services/upload.service.js';
import type { VideoService } from './services/video.service.js';
import type { WebhookService } from './services/webhook.service.js';

export interface AppDeps {
  logger: Logger;
  apiKey: string | undefined;
  maxUploadBytes: number;
  minFreeBytes: number;
  tmpDir: string;
  videos: VideoService;
  uploads: UploadService;
  resumable: ResumableUploadService;
  imports: UrlImportService;
  commands: CommandService;
  downloads: DownloadService;
  /** `redirect` (S3_DOWNLOADS): downloads are 302s to presigned URLs of the store. */
  downloadMode: DownloadMode;
  links: SignedLinkService;
  jobs: JobService;
  runs: RunService;
  plans: PlanService;
  webhooks: WebhookService;
  previews: PreviewService;
  events: EventFeed;
  /** Requests in flight and the files they hold, for a shutdown that finishes what it accepted. */
  drain: Drain;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  /** Where the answers to requests with an Idempotency-Key are kept. */
  idempotencyKeys: IdempotencyKeyStore;
}

/** The Express app; it never listens (server.ts and the tests do). */
export function buildApp(d: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' } }));
  app.use(d.drain.middleware);
  app.use(d.metrics.httpMiddleware());

  app.use(serviceRouter({ checks: d.readiness, metrics: d.metrics }));
  // Before the API-key check: the document is public.
  app.use('/api', openApiRouter({ apiKeyRequired: Boolean(d.apiKey) }));
  // Also before it: a signed link is its own credential.
  app.use('/api', signedDownloadRouter({ links: d.links, downloads: d.downloads, downloadMode: d.downloadMode }));

  // Every request that got past apiKeyAuth carries API_KEY itself, so its hash is the caller's scope.
  const scope = d.apiKey ? createHash('sha256').update(d.apiKey).digest('hex') : '';
  const idempotent = idempotency({ store: d.idempotencyKeys, scopeOf: () => scope, logger: d.logger });

  const api = express.Router();
  api.use(apiKeyAuth(d.apiKey));
  // Before the JSON parser: tus bodies are the upload's bytes.
  api.use(
    uploadsRouter({
      resumable: d.resumable,
      maxUploadBytes: d.maxUploadBytes,
      freeSpace: {
        create: freeSpaceGuard(d.tmpDir, d.minFreeBytes, (req) => Number(req.get('upload-length') ?? 0) + Number(req.get('content-length') ?? 0) || 0),
        append: freeSpaceGuard(d.tmpDir, d.minFreeBytes),
      },
    }),
  );
  api.use(express.json({ limit: '64kb', strict: true, type: ['application/json', 'application/*+json'] }));
  api.use(
    videosRouter({
      videos: d.videos,
      uploads: d.uploads,
      imports: d.imports,
      commands: d.commands,
      downloads: d.downloads,
      downloadMode: d.downloadMode,
      upload: [freeSpaceGuard(d.tmpDir, d.minFreeBytes), uploadMiddleware(d.tmpDir, d.maxUploadBytes, d.drain)],
      drain: d.drain,
      idempotency: idempotent,
    }),
  );
  api.use(linksRouter(d.links));
  api.use(previewsRouter(d.previews));
  api.use(jobsRouter({ jobs: d.jobs, runs: d.runs, plans: d.plans, idempotency: idempotent }));
  api.use(webhooksRouter(d.webhooks, idempotent));
  api.use(callbacksRouter(d.jobs, d.webhooks));
  api.use(sessionRouter(d.apiKey));
  api.use(eventsRouter(d.events, d.drain));
  app.use('/api', api);
  // The studio page is public (it holds no data); it asks for the API key when the API answers 401.
  app.use(studioPage());

  app.use(notFoundHandler);
  app.use(errorHandler(d.logger));
  return app;
}
