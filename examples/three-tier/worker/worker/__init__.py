"""Upload-processing worker (`python -m worker`) and its health check (`python -m worker.health`)."""
HEARTBEAT = "/tmp/worker-heartbeat"
