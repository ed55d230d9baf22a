"""S3 `created` events on the uploads bucket → a JPEG thumbnail in THUMBS_BUCKET + an event.

Injected from `uses`: UPLOADS_BUCKET, THUMBS_BUCKET, EVENTS_QUEUE_URL.
"""
import io
import json
import os
import urllib.parse

import boto3
from PIL import Image

s3 = boto3.client("s3")
sqs = boto3.client("sqs")
SIZE = int(os.environ.get("THUMB_SIZE", "320"))


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        image.thumbnail((SIZE, SIZE))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
        return out.getvalue()


def handler(event, context):
    done = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        if key.startswith("tmp/"):  # staging area of unfinished uploads
            continue
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        thumb_key = f"thumbs/{key.rsplit('.', 1)[0]}.jpg"
        s3.put_object(Bucket=os.environ["THUMBS_BUCKET"], Key=thumb_key,
                      Body=_thumbnail(original), ContentType="image/jpeg")
        sqs.send_message(QueueUrl=os.environ["EVENTS_QUEUE_URL"], MessageBody=json.dumps(
            {"type": "photo.created", "original": key, "thumbnail": thumb_key}))
        done.append(thumb_key)
    return {"thumbnails": done}
