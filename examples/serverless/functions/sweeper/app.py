"""Runs every 15 minutes (`trigger: {schedule: ...}`).

- deletes staging objects under `tmp/` older than MAX_AGE_HOURS (abandoned uploads);
- re-invokes the thumbnailer for photos older than 15 minutes that still have no thumbnail
  (e.g. after a throttled or failed S3 event).

Injected from `uses`: UPLOADS_BUCKET, THUMBS_BUCKET, THUMBNAILER_NAME.
"""
import datetime
import json
import os

import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3")
lam = boto3.client("lambda")


def _has_thumbnail(key: str) -> bool:
    try:
        s3.head_object(Bucket=os.environ["THUMBS_BUCKET"], Key=f"thumbs/{key.rsplit('.', 1)[0]}.jpg")
        return True
    except ClientError:
        return False


def handler(event, context):
    uploads = os.environ["UPLOADS_BUCKET"]
    now = datetime.datetime.now(datetime.UTC)
    stale = now - datetime.timedelta(hours=int(os.environ.get("MAX_AGE_HOURS", "24")))
    missed = now - datetime.timedelta(minutes=15)
    deleted = retried = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=uploads):
        for obj in page.get("Contents", []):
            key, modified = obj["Key"], obj["LastModified"]
            if key.startswith("tmp/"):
                if modified < stale:
                    s3.delete_object(Bucket=uploads, Key=key)
                    deleted += 1
            elif modified < missed and not _has_thumbnail(key):
                record = {"s3": {"bucket": {"name": uploads}, "object": {"key": key}}}
                lam.invoke(FunctionName=os.environ["THUMBNAILER_NAME"], InvocationType="Event",
                           Payload=json.dumps({"Records": [record]}).encode())
                retried += 1
            if context.get_remaining_time_in_millis() < 10_000:
                return {"deleted": deleted, "retried": retried, "complete": False}
    return {"deleted": deleted, "retried": retried, "complete": True}
