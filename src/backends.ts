import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ResolvedUrls } from './deps.js';
import { attachToOwner, claimDataDir, ownerOf, type OwnerRecord } from './embedded/data-dir-owner.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded/embedded-postgres.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded/embedded-redis.js';

export interface Backends extends ResolvedUrls {
  description: { database: string; redis: string };
  stop(): Promise<void>;
}

/**
 * What a process does for the backends whose URL is not set:
 * - 'own': start embedded PostgreSQL and Redis under DATA_DIR and hold DATA_DIR for its whole life (`npm start`);
 * - 'attach': use the ones that the owner of DATA_DIR runs, or refuse (`start:api`, `start:worker`);
 * - 'attach-or-own': attach when an owner runs, otherwise own them for a while (`npm run cleanup`).
 */
export type BackendRole = 'own' | 'attach' | 'attach-or-own';

/** External PostgreSQL/Redis when their URLs are set; otherwise embedded ones under DATA_DIR. */
export async function resolveBackends(config: Config, logger: Logger, role: BackendRole = 'own'): Promise<Backends> {
  const need = { database: !config.databaseUrl, redis: !config.redisUrl };
  if (!need.database && !need.redis) {
    return {
      databaseUrl: config.databaseUrl!,
      redisUrl: config.redisUrl!,
      description: { database: 'external (DATABASE_URL)', redis: 'external (REDIS_URL)' },
      async stop() {},
    };
  }
  if (role === 'attach' || (role === 'attach-or-own' && (await ownerOf(config.dataDir)))) {
    return attached(config, await attachToOwner(config.dataDir, need));
  }
  return owned(config, logger, need);
}

function attached(config: Config, owner: OwnerRecord): Backends {
  const of = `of video-jobs pid ${owner.pid} (DATA_DIR ${config.dataDir})`;
  return {
    databaseUrl: config.databaseUrl ?? owner.databaseUrl!,
    redisUrl: config.redisUrl ?? owner.redisUrl!,
    description: {
      database: config.databaseUrl ? 'external (DATABASE_URL)' : `embedded PostgreSQL ${of}`,
      redis: config.redisUrl ? 'external (REDIS_URL)' : `embedded redis-server ${of}`,
    },
    async stop() {},
  };
}

async function owned(config: Config, logger: Logger, need: { database: boolean; redis: boolean }): Promise<Backends> {
  const claim = await claimDataDir(config.dataDir);
  const [pg, redis] = await Promise.allSettled([
    need.database ? startEmbeddedPostgres(config.dataDir, logger) : undefined,
    need.redis ? startEmbeddedRedis(config.dataDir, logger) : undefined,
  ]);
  const started = [pg, redis].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value as EmbeddedPostgres | EmbeddedRedis] : []));
  // Both stop at once: nothing uses either any more when this runs (the connections are closed first).
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop().catch(() => {})));
    await claim.release();
  };
  const failed = [pg, redis].find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const embeddedPg = (pg as PromiseFulfilledResult<EmbeddedPostgres | undefined>).value;
  const embeddedRedis = (redis as PromiseFulfilledResult<EmbeddedRedis | undefined>).value;
  try {
    await claim.publish({ databaseUrl: embeddedPg?.url, redisUrl: embeddedRedis?.url });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    databaseUrl: config.databaseUrl ?? embeddedPg!.url,
    redisUrl: config.redisUrl ?? embeddedRedis!.url,
    description: {
      database: embeddedPg?.description ?? 'external (DATABASE_URL)',
      redis: embeddedRedis ? `embedded redis-server on ${embeddedRedis.url}` : 'external (REDIS_URL)',
    },
    stop,
  };
}
