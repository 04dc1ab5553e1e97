import { loadConfig } from './config.js';
import { resolveBackends } from './backends.js';
import { openInfrastructure, retentionOf } from './deps.js';
import { createLogger } from './logger.js';

// `npm run cleanup`: one retention pass, then exit.
const config = loadConfig();
const logger = createLogger(config.logLevel, 'video-jobs-cleanup');
// Uses the embedded backends of a running `npm start` in DATA_DIR, or runs them for this pass.
const backends = await resolveBackends(config, logger, 'attach-or-own');
const infra = await openInfrastructure(config, backends, logger);
try {
  const report = await retentionOf(config, infra).runOnce();
  logger.info(report, `retention pass done (RETENTION_HOURS=${config.retentionHours})`);
} finally {
  await infra.close();
  await backends.stop();
}
