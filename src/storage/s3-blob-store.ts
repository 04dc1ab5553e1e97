import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore, ByteRange, StoredObjectStat } from '../core/ports.js';
import { checkedKey, isSafeKey, objectMissing } from './storage-key.js';

export interface S3Settings {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
  /** Prepended to every key, so one bucket can hold several installations. */
  prefix: string;
}

// 16 MiB parts: a 2 GB upload is 128 parts (S3 allows 10 000), and 4 in flight hold 64 MiB of memory.
const PART_SIZE = 16 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

/**
 * Objects in an S3 bucket (AWS, MinIO, any S3-compatible service). A put is a multipart upload
 * (one PUT for small files): S3 shows the object only once the upload completes, and a failed one
 * is aborted, so no half object ever sits under a key.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly s: S3Settings) {
    this.client = new S3Client({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
      // Checksums only where S3 demands them: many S3-compatible servers understand neither the
      // aws-chunked trailer nor the checksum-mode header that the newer defaults add.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Fails start-up in one line when the bucket is unreachable or missing. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.s.bucket }));
    } catch (err) {
      const why = isMissing(err) ? 'does not exist' : `cannot be reached: ${(err as Error).message || (err as Error).name}`;
      throw new Error(`S3 bucket ${this.s.bucket} at ${this.s.endpoint ?? 'AWS'} ${why}`);
    }
  }

  localPathOf(): undefined {
    return undefined;
  }

  private objectKey(key: string): string {
    return `${this.s.prefix}${checkedKey(key)}`;
  }

  async put(localFile: string, key: string): Promise<void> {
    const { size } = await stat(localFile);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.s.bucket, Key: this.objectKey(key), Body: createReadStream(localFile), ContentLength: size },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    await upload.done();
    await unlink(localFile).catch(() => {});
  }

  async stat(key: string): Promise<StoredObjectStat | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.objectKey(key) }));
      return { sizeBytes: head.ContentLength ?? 0, mtimeMs: head.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async openRead(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.s.bucket, Key: this.objectKey(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw objectMissing(key);
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.objectKey(key) }));
  }

  async keysOlderThan(before: Date): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.s.prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) {
        const key = o.Key?.slice(this.s.prefix.length);
        if (key && isSafeKey(key) && o.LastModified && o.LastModified.getTime() < before.getTime()) keys.push(key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  presignDownload(key: string, o: { expiresInSec: number; contentDisposition: string; contentType: string }): Promise<string> {
    const get = new GetObjectCommand({
      Bucket: this.s.bucket,
      Key: this.objectKey(key),
      ResponseContentDisposition: o.contentDisposition,
      ResponseContentType: o.contentType,
    });
    return getSignedUrl(this.client, get, { expiresIn: o.expiresInSec });
  }

  close(): void {
    this.client.destroy();
  }
}
