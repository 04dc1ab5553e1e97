import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { authenticate } from './http/auth.middleware.js';
import { cors } from './http/cors.middleware.js';
import { keysRouter } from './http/keys.routes.js';
import { rateLimit } from './http/rate-limit.middleware.js';
import type { KeyService } from './services/key.service.js';
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
  /** API keys: who a request acts for, and whether the API needs a key at all. */
  auth: KeyService;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** Requests per key per minute (RATE_LIMIT_PER_MINUTE); 0: unlimited. */
  rateLimitPerMinute: number;
  /** Whether the OpenAPI document says a key is needed (API_KEY set, or keys created). */
  apiKeyRequired: boolean;
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
  app.use(cors(d.corsOrigins));

  app.use(serviceRouter({ checks: d.readiness, metrics: d.metrics }));
  // Before the API-key check: the document is public.
  app.use('/api', openApiRouter({ apiKeyRequired: d.apiKeyRequired }));
  // Also before it: a signed link is its own credential.
  app.use('/api', signedDownloadRouter({ links: d.links, downloads: d.downloads, downloadMode: d.downloadMode }));

  // Keys of different API keys never meet, so one client cannot replay another's answer.
  const idempotent = idempotency({ store: d.idempotencyKeys, scopeOf: (req) => d.auth.idempotencyScopeOf(req.principal), logger: d.logger });

  const api = express.Router();
  api.use(authenticate(d.auth));
  api.use(rateLimit(d.rateLimitPerMinute));
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
  api.use(sessionRouter(d.auth));
  api.use(keysRouter(d.auth));
  api.use(eventsRouter(d.events, d.drain));
  app.use('/api', api);
  // The studio page is public (it holds no data); it asks for the API key when the API answers 401.
  app.use(studioPage());

  app.use(notFoundHandler);
  app.use(errorHandler(d.logger));
  return app;
}
