import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { PackSaver } from '../ports/report-pack-store';

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
};

/**
 * Saves each file of a report pack as an S3 object `<prefix><report>.<format>`, streamed (a multipart upload
 * once past a part): a pack of a whole estate never sits in the function's memory. Resolves to the object key.
 */
export function s3PackSaver(client: S3Client, bucket: string, prefix: string): PackSaver {
  return async ({ fileName, format }, write) => {
    const key = `${prefix}${fileName}`;
    const body = new PassThrough();
    const upload = new Upload({
      client,
      params: {
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: CONTENT_TYPES[format] ?? 'application/octet-stream',
      },
    });
    const uploaded = upload.done();
    // An upload that fails while the writer waits for the stream to drain must end the wait, not leave it forever.
    uploaded.catch((error: Error) => body.destroy(error));
    try {
      await write(body);
      body.end();
    } catch (error) {
      body.destroy(error as Error);
      await uploaded.catch(() => undefined);
      throw error;
    }
    await uploaded;
    return key;
  };
}
