"""Shop API: a small WSGI app served by gunicorn (`gunicorn app:app`).

Connection settings come from the environment that infracc injects from `uses`:
DATABASE_URL (placeholder ${db.url}), CACHE_URL, UPLOADS_BUCKET, JOBS_QUEUE_URL.
"""
import json
import logging
import os
import uuid

import boto3
import psycopg
import redis

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper(),
                    format='{"level": "%(levelname)s", "msg": "%(message)s"}')
log = logging.getLogger("api")

_cache = redis.Redis.from_url(os.environ["CACHE_URL"]) if os.environ.get("CACHE_URL") else None
_s3 = boto3.client("s3")
_sqs = boto3.client("sqs")


def _json(start_response, status, body):
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))])
    return [payload]


def products():
    if _cache is not None and (hit := _cache.get("products")):
        return json.loads(hit)
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT id, name, price::text FROM products ORDER BY name LIMIT 100").fetchall()
    result = [{"id": r[0], "name": r[1], "price": r[2]} for r in rows]
    if _cache is not None:
        _cache.set("products", json.dumps(result), ex=60)
    return result


def new_upload():
    key = f"incoming/{uuid.uuid4()}"
    url = _s3.generate_presigned_url(
        "put_object", Params={"Bucket": os.environ["UPLOADS_BUCKET"], "Key": key}, ExpiresIn=900)
    _sqs.send_message(QueueUrl=os.environ["JOBS_QUEUE_URL"],
                      MessageBody=json.dumps({"type": "process-upload", "key": key}))
    return {"key": key, "upload_url": url}


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    try:
        if path == "/healthz":
            return _json(start_response, "200 OK", {"status": "ok"})
        if method == "GET" and path == "/api/products":
            return _json(start_response, "200 OK", products())
        if method == "POST" and path == "/api/uploads":
            return _json(start_response, "201 Created", new_upload())
        return _json(start_response, "404 Not Found", {"error": "not found"})
    except Exception:
        log.exception("request failed: %s %s", method, path)
        return _json(start_response, "500 Internal Server Error", {"error": "internal error"})
