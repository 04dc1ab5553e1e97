import { parseArgs } from 'node:util';
import { resolveBackends } from './backends.js';
import { loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { createSqlClient } from './db/sql-client.js';
import { DomainError } from './domain/errors.js';
import { SCOPES, type Scope } from './domain/tenant.js';
import { toKeyResource } from './http/keys.routes.js';
import { createLogger } from './logger.js';
import { ApiKeyRepository } from './repositories/api-key.repository.js';
import { KeyService } from './services/key.service.js';

const USAGE = `Usage:
  npm run keys -- create --tenant <id> --scopes read,write,admin [--name <text>] [--expires <ISO date>]
  npm run keys -- list [--tenant <id>]
  npm run keys -- revoke <key id>`;

// `npm run keys`: API keys on the command line, over the same database the service uses.
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' }, expires: { type: 'string' } },
});
const [command, arg] = positionals;
if (!command || !['create', 'list', 'revoke'].includes(command)) fail(USAGE);

const config = loadConfig();
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'video-jobs-keys');
const backends = await resolveBackends(config, logger, 'attach-or-own');
const sql = createSqlClient({ url: backends.databaseUrl, schema: config.dbSchema });
let code = 0;
try {
  await migrate(sql, config.dbSchema);
  const keys = new KeyService(new ApiKeyRepository(sql), config.apiKey);
  if (command === 'create') {
    if (!values.tenant || !values.scopes) fail(`create needs --tenant and --scopes.\n${USAGE}`);
    const scopes = values.scopes.split(',').map((s) => s.trim());
    const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown) fail(`Unknown scope ${JSON.stringify(unknown)}: use ${SCOPES.join(', ')}.`);
    const expiresAt = values.expires ? new Date(values.expires) : null;
    if (expiresAt && Number.isNaN(expiresAt.getTime())) fail(`--expires ${JSON.stringify(values.expires)} is not a date.`);
    const { key, secret } = await keys.create({ tenantId: values.tenant, name: values.name, scopes: scopes as Scope[], expiresAt });
    console.log(JSON.stringify(toKeyResource(key)));
    console.log(`The key (shown only now; keep it): ${secret}`);
  } else if (command === 'list') {
    for (const k of await keys.list(values.tenant ?? null)) console.log(JSON.stringify(toKeyResource(k)));
  } else {
    if (!arg) fail(`revoke needs a key id.\n${USAGE}`);
    console.log(JSON.stringify(toKeyResource(await keys.revoke(arg, null))));
  }
} catch (err) {
  console.error(err instanceof DomainError ? err.message : `Failed: ${(err as Error).message}`);
  code = 1;
} finally {
  await sql.end({ timeout: 5 });
  await backends.stop();
}
process.exit(code);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
