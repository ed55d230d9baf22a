"""Starting CDKTF's Node process early (issue #14): importing `cdktn` starts jsii's Node process
and loads the assemblies, ~0.5 s that is nearly all Node's, so it runs on a thread while Python
does the rest of `compile`. A module of its own, outside `backends.terraform` (whose package
imports the whole Terraform backend), so that `infracc compile` can start it before anything
else is imported (`compiler/entry.py`)."""
from __future__ import annotations

import contextlib
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
    """The cdktn module (its Node process started): after the prewarm, if one runs, so that
    one thread starts Node (jsii's provider starts it unlocked on first use)."""
    if threading.current_thread() not in _warming:
        settle()
    for key, value in SILENCE.items():
        os.environ.setdefault(key, value)
    import cdktn  # the archived `cdktf` package's API, maintained (issue #15)

    return cdktn


_jsii_imported = threading.Event()


def _warm() -> None:
    starting: threading.Thread | None = None
    try:
        import jsii  # the Python half of the bridge, before Node is started

        _jsii_imported.set()
        starting = _start_node(jsii)
        # While Node boots (~0.25 s to its hello, no Python), import what cdktn imports before
        # its first request to Node: typeguard alone is ~40 ms (it imports unittest.mock, and
        # that asyncio). Then wait for the start, so that only this thread talks to jsii.
        with contextlib.suppress(ImportError):  # (cdktn's dependencies: it reports their absence)
            import publication  # type: ignore[import-untyped]  # noqa: F401
            import typeguard  # noqa: F401
        if starting is not None:
            starting.join()
        cdk()
    except BaseException:  # noqa: BLE001 - `synthesize` imports again and reports the real error
        return
    finally:
        if starting is not None:
            starting.join()  # (settle() joins this thread: the start is over when it returns)
        _jsii_imported.set()


def _start_node(jsii: ModuleType) -> threading.Thread | None:
    """Start jsii's Node process on a thread of its own: the first request would start it
    (`ProcessProvider._process`, memoized, not locked: nothing else may touch the kernel until
    this thread is joined). None when this jsii has no such provider: cdktn starts it then."""
    provider = getattr(getattr(jsii, "kernel", None), "provider", None)
    if provider is None or not hasattr(type(provider), "_process"):
        return None
    for key, value in SILENCE.items():
        os.environ.setdefault(key, value)

    def start() -> None:
        # the memoized property starts Node and reads its hello; on failure cdktn's first
        # request starts it again (and reports)
        with contextlib.suppress(BaseException):
            provider._process  # noqa: B018

    thread = threading.Thread(target=start, name="infracc-node-start", daemon=True)
    thread.start()
    return thread


_warming: list[threading.Thread] = []


def prewarm() -> None:
    """Start importing cdktn (and so its Node process) in the background; idempotent, and a
    no-op without Node. `cdk()` (synthesis) waits for it rather than start Node twice.

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
