// GET /hello?user=<id> (API Gateway HTTP API, payload v2) → greeting + photo count.
// INDEX_BUCKET is the `${thumbs.bucket}` placeholder from stack.yaml.
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';

const s3 = new S3Client({});
const GREETING = process.env.GREETING ?? 'Hello, ${user}!';

const json = (statusCode, body) => ({
  statusCode,
  headers: {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'access-control-allow-origin': process.env.ALLOWED_ORIGIN ?? '',
  },
  body: JSON.stringify(body),
});

export const handler = async (event) => {
  const user = event.queryStringParameters?.user ?? '';
  if (!/^[a-z0-9-]{1,64}$/.test(user)) return json(200, { message: 'Hello, stranger!' });
  let photos = 0;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: process.env.INDEX_BUCKET, Key: `index/${user}.json` }));
    photos = JSON.parse(await res.Body.transformToString()).photos.length;
  } catch (err) {
    if (err.name !== 'NoSuchKey') {
      console.error(JSON.stringify({ level: 'error', msg: 'index read failed', error: String(err) }));
      return json(502, { error: 'index unavailable' });
    }
  }
  return json(200, { message: GREETING.replaceAll('${user}', user), photos });
};
