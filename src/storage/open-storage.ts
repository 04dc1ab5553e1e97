import path from 'node:path';
import type { BlobStore, InputStager } from '../core/ports.js';
import type { Config } from '../config.js';
import { FsBlobStore } from './fs-blob-store.js';
import { InPlaceInputs, ScratchInputCache } from './input-stagers.js';
import { S3BlobStore } from './s3-blob-store.js';
import { LocalScratch } from './scratch.js';

/** The stored objects every host shares, and this host's own scratch space beside them. */
export interface Storage {
  blobs: BlobStore;
  scratch: LocalScratch;
  /** Where FFmpeg reads inputs from: the stored files themselves (fs), or local copies (s3). */
  inputs: InputStager;
  /** Previews are made from staged inputs and kept on this host only. */
  previewsDir: string;
  close(): void;
}

export async function openStorage(config: Config): Promise<Storage> {
  const scratch = new LocalScratch(config.storageDir);
  await scratch.init();
  const previewsDir = path.join(config.storageDir, 'previews');
  if (config.storage.s3) {
    const blobs = new S3BlobStore(config.storage.s3);
    await blobs.init();
    const inputs = new ScratchInputCache(blobs, path.join(config.storageDir, 'scratch', 'inputs', String(process.pid)), config.storage.scratchMaxBytes);
    await inputs.init();
    return { blobs, scratch, inputs, previewsDir, close: () => blobs.close() };
  }
  const blobs = new FsBlobStore(config.storageDir);
  await blobs.init();
  return { blobs, scratch, inputs: new InPlaceInputs(blobs), previewsDir, close: () => {} };
}
