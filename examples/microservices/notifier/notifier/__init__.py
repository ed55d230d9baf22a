"""Order e-mail notifier (`python -m notifier`) and its probe (`python -m notifier.health`)."""
HEARTBEAT = "/tmp/notifier-heartbeat"
