"""Starting CDKTF's Node process early (issue #14): importing `cdktn` starts jsii's Node process
and loads the assemblies, ~0.5 s that is nearly all Node's, so it runs on a thread while Python
does the rest of `compile`. A module of its own, outside `backends.terraform` (whose package
imports the whole Terraform backend), so that `infracc compile` can start it before anything
else is imported (`compiler/entry.py`)."""
from __future__ import annotations

import os
import shutil
import threading
from types import ModuleType

SILENCE = {"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION": "1",
           "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": ",".join(str(v) for v in range(14, 40))}


def node_available() -> bool:
    return shutil.which("node") is not None


def cdk() -> ModuleType:
    for key, value in SILENCE.items():
        os.environ.setdefault(key, value)
    import cdktn  # the archived `cdktf` package's API, maintained (issue #15)

    return cdktn


_jsii_imported = threading.Event()


def _warm() -> None:
    try:
        import jsii  # noqa: F401 - the Python half of the bridge, before Node is started

        _jsii_imported.set()
        cdk()
    except BaseException:  # noqa: BLE001 - `synthesize` imports again and reports the real error
        return
    finally:
        _jsii_imported.set()


_warming: list[threading.Thread] = []


def prewarm() -> None:
    """Start importing cdktn (and so its Node process) in the background; idempotent, and a
    no-op without Node. The import lock makes `synthesize` wait for it rather than start twice.

    Returns once the thread has imported `jsii` (~0.05 s of Python): until then it would share
    the interpreter with this thread's imports and start Node later (measured: three-tier
    compile 0.98 → 0.84 s wall, microservices 1.06 → 0.99 s). From there the thread mostly
    waits for Node."""
    if _warming or not node_available():
        return
    thread = threading.Thread(target=_warm, name="infracc-cdktn-prewarm", daemon=True)
    _warming.append(thread)
    thread.start()
    _jsii_imported.wait(5.0)


def settle() -> None:
    """Wait for a prewarm still under way (before exiting without synthesis: a daemon thread
    stopped mid-import at interpreter exit can leave jsii's Node process and files behind)."""
    for thread in _warming:
        thread.join()
