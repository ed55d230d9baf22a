// SQS batch from the events queue → append to the owner's index.json in THUMBS_BUCKET.
// The AWS SDK v3 ships with the nodejs22.x runtime, so there is nothing to bundle.
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';

const s3 = new S3Client({});
const Bucket = process.env.THUMBS_BUCKET;

async function readIndex(Key) {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket, Key }));
    return JSON.parse(await res.Body.transformToString());
  } catch (err) {
    if (err.name === 'NoSuchKey') return { photos: [] };
    throw err;
  }
}

export const handler = async (event) => {
  const failures = [];
  for (const record of event.Records ?? []) {
    try {
      const msg = JSON.parse(record.body);
      if (msg.type !== 'photo.created') continue;
      const owner = msg.original.split('/')[0];
      const Key = `index/${owner}.json`;
      const index = await readIndex(Key);
      index.photos.push({ original: msg.original, thumbnail: msg.thumbnail, at: new Date().toISOString() });
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: JSON.stringify(index), ContentType: 'application/json' }));
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'index update failed', id: record.messageId, error: String(err) }));
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  // Partial batch response: only failed messages return to the queue (and, eventually, the DLQ).
  return { batchItemFailures: failures };
};
