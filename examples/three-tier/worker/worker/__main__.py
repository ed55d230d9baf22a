"""Long-polls the jobs queue (JOBS_QUEUE_URL, injected from `uses: [jobs:consume]`)."""
import json
import logging
import os
import pathlib
import signal

import boto3
import psycopg

from worker import HEARTBEAT

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper())
log = logging.getLogger("worker")
running = True


def _stop(*_):
    global running
    running = False


def handle(job: dict, s3, conn) -> None:
    if job.get("type") != "process-upload":
        log.warning("skipping unknown job type %r", job.get("type"))
        return
    head = s3.head_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=job["key"])
    log.info("upload %s: %d bytes", job["key"], head["ContentLength"])
    conn.execute("INSERT INTO uploads (key, size_bytes) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                 (job["key"], head["ContentLength"]))


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    queue = os.environ["JOBS_QUEUE_URL"]
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        while running:
            pathlib.Path(HEARTBEAT).touch()
            reply = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=20)
            for message in reply.get("Messages", []):
                handle(json.loads(message["Body"]), s3, conn)
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    main()
