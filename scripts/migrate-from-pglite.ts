// `npm run migrate:pglite`: moves the PGlite database that an earlier version kept in DATA_DIR/pglite into the
// embedded PostgreSQL (DATA_DIR/postgres). PGlite dumps itself with its own pg_dump (pglite-tools, plain SQL
// with INSERTs); the dump runs in one transaction on a fresh PostgreSQL. PGlite is no dependency any more, so
// this installs it into a temporary directory for the one run. DATA_DIR/pglite is kept, renamed
// pglite.migrated, and the dump stays beside it (mode 0600).
import { execFile } from 'node:child_process';
import { access, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { claimDataDir } from '../src/embedded/data-dir-owner.js';
import { startEmbeddedPostgres } from '../src/embedded/embedded-postgres.js';
import { createLogger } from '../src/logger.js';

// The PGlite the earlier version ran (its package.json), and the pg_dump build that reads it.
const PGLITE = '@electric-sql/pglite@0.5.14';
const PGLITE_TOOLS = '@electric-sql/pglite-tools@0.4.8';

const fail = (message: string): never => {
  console.error(message);
  process.exit(1);
};
const exists = (p: string) => access(p).then(() => true, () => false);

const config = loadConfig();
const logger = createLogger(config.logLevel, 'video-jobs-migrate-pglite');
const pglite = path.join(config.dataDir, 'pglite');
const pgdata = path.join(config.dataDir, 'postgres');
if (!(await exists(path.join(pglite, 'PG_VERSION')))) fail(`There is no PGlite database in ${pglite}: nothing to move.`);
if (await exists(pgdata)) fail(`${pgdata} exists already: move it away first if the data in ${pglite} is the one to keep.`);
const claim = await claimDataDir(config.dataDir).catch((err: Error) => fail(err.message));

const tools = await mkdtemp(path.join(os.tmpdir(), 'vj-pglite-'));
try {
  logger.info({ packages: [PGLITE, PGLITE_TOOLS] }, 'installing PGlite for this run');
  await promisify(execFile)('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--legacy-peer-deps', '--prefix', tools, PGLITE, PGLITE_TOOLS]).catch((err: Error) =>
    fail(`Cannot install ${PGLITE} and ${PGLITE_TOOLS} with npm (${err.message.split('\n')[0]}): install them by hand or run this where the npm registry is reachable.`),
  );
  const load = (rel: string) => import(pathToFileURL(path.join(tools, 'node_modules', '@electric-sql', rel)).href);
  const { PGlite } = await load('pglite/dist/index.js');
  const { pgDump } = await load('pglite-tools/dist/pg_dump.js');
  const db = await PGlite.create(pglite);
  const dump: string = await (await pgDump({ pg: db, args: ['--no-owner', '--no-privileges', '--inserts', '--rows-per-insert=500'] })).text();
  await db.close();
  const dumpFile = path.join(config.dataDir, 'pglite-dump.sql');
  await writeFile(dumpFile, dump, { mode: 0o600 });
  logger.info({ dumpFile, bytes: dump.length }, 'dumped the PGlite database');

  const pg = await startEmbeddedPostgres(config.dataDir, logger, { besidePglite: true });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    // One simple query: the whole dump commits, or nothing does.
    await sql.unsafe(dump);
  } catch (err) {
    await sql.end();
    await pg.stop();
    await rename(pgdata, `${pgdata}.failed-${Date.now()}`);
    fail(`The PGlite dump (${dumpFile}) did not load into PostgreSQL: ${(err as Error).message}; ${pglite} is untouched.`);
  }
  const tables = await sql<{ name: string; rows: string }[]>`
    SELECT c.relname AS name, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`;
  await sql.end();
  await pg.stop();
  await rename(pglite, `${pglite}.migrated`);
  logger.info({ tables: Object.fromEntries(tables.map((t) => [t.name, Number(t.rows)])) }, `moved ${pglite} into ${pgdata}; ${pglite}.migrated and ${dumpFile} can go once you are content`);
} finally {
  await rm(tools, { recursive: true, force: true });
  await claim.release();
}
