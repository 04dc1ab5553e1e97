import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MIN_LENGTH = 32;

/**
 * The key download links are signed with: LINK_SECRET, else one generated on the first start and
 * kept in DATA_DIR/link.secret (mode 0600), so links outlive a restart. Published with link(2),
 * which never replaces a file: two processes starting at once end up with the same secret.
 */
export async function linkSecretOf(configured: string | undefined, dataDir: string): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'link.secret');
  const kept = await readKept(file);
  if (kept) return kept;
  await mkdir(dataDir, { recursive: true });
  const temp = path.join(dataDir, `.link.secret.${randomUUID()}`);
  await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(temp, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } finally {
    await unlink(temp).catch(() => {});
  }
  const secret = await readKept(file);
  if (!secret) throw new Error(`${file} holds no usable secret (at least ${MIN_LENGTH} characters): remove it, or set LINK_SECRET.`);
  return secret;
}

async function readKept(file: string): Promise<Buffer | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length < MIN_LENGTH) throw new Error(`${file} holds no usable secret (at least ${MIN_LENGTH} characters): remove it, or set LINK_SECRET.`);
    return Buffer.from(text, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
