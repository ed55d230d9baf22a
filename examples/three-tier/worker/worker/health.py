"""Exec health probe: healthy while the poll loop touched the heartbeat in the last 2 minutes."""
import os
import sys
import time

from worker import HEARTBEAT

try:
    age = time.time() - os.stat(HEARTBEAT).st_mtime
except FileNotFoundError:
    sys.exit("no heartbeat yet")
sys.exit(0 if age < 120 else f"heartbeat is {age:.0f}s old")
