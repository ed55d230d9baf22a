"""Reads the photo index's stream (`trigger: {table: photo-index}`): every inserted or removed
photo moves its album's photo count, emitted as a CloudWatch embedded metric (the log line is
the metric; no other store is written, so the stream never feeds itself).

Records that fail are reported one by one (`batchItemFailures`); after the retries Lambda sends
them to the function's dead-letter queue.
"""
import json

DELTA = {"INSERT": 1, "REMOVE": -1}


def _album(record: dict) -> str | None:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return (image.get("album_id") or {}).get("S")


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            delta, album = DELTA.get(record["eventName"]), _album(record)
            if delta is None or album is None:
                continue
            print(json.dumps({
                "_aws": {"Timestamp": int(record["dynamodb"]["ApproximateCreationDateTime"] * 1000),
                         "CloudWatchMetrics": [{"Namespace": "photos", "Dimensions": [["album"]],
                                                "Metrics": [{"Name": "photo_count_change", "Unit": "Count"}]}]},
                "album": album, "photo_count_change": delta}))
        except (KeyError, TypeError, ValueError):
            failures.append({"itemIdentifier": record.get("dynamodb", {}).get("SequenceNumber", "")})
    return {"batchItemFailures": failures}
