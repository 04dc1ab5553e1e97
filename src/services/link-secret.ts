import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { keptSecret } from '../security/kept-secret.js';

const MIN_LENGTH = 32;

/**
 * The key download links are signed with: LINK_SECRET, else one generated on the first start and
 * kept in DATA_DIR/link.secret (mode 0600), so links outlive a restart and every API host of one
 * DATA_DIR signs alike.
 */
export async function linkSecretOf(configured: string | undefined, dataDir: string): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'link.secret');
  const secret = await keptSecret(file, () => randomBytes(32).toString('hex'));
  if (secret.length < MIN_LENGTH) throw new Error(`${file} holds no usable secret (at least ${MIN_LENGTH} characters): remove it, or set LINK_SECRET.`);
  return Buffer.from(secret, 'utf8');
}
