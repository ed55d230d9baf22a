"""Tiny full-text search: an inverted index kept as JSON on the persistent volume.

PUT  /documents/<id>   {"text": "..."}   index a document
GET  /search?q=word                        ids of matching documents
GET  /healthz
"""
import json
import os
import pathlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

INDEX_FILE = pathlib.Path(os.environ.get("INDEX_DIR", "/data/index")) / "index.json"
WORD = re.compile(r"[a-z0-9]+")
_lock = threading.Lock()
_index: dict[str, list[str]] = json.loads(INDEX_FILE.read_text()) if INDEX_FILE.exists() else {}


def _save() -> None:
    INDEX_FILE.parent.mkdir(parents=True, exist_ok=True)
    tmp = INDEX_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(_index))
    tmp.replace(INDEX_FILE)


class Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/healthz":
            return self._send(200, {"status": "ok", "terms": len(_index)})
        if url.path == "/search":
            words = WORD.findall(parse_qs(url.query).get("q", [""])[0].lower())
            with _lock:
                hits = set.intersection(*(set(_index.get(w, [])) for w in words)) if words else set()
            return self._send(200, {"ids": sorted(hits)})
        return self._send(404, {"error": "not found"})

    def do_PUT(self) -> None:
        doc_id = self.path.removeprefix("/documents/")
        if not doc_id or "/" in doc_id:
            return self._send(404, {"error": "not found"})
        length = min(int(self.headers.get("Content-Length", 0)), 1 << 20)
        text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
        with _lock:
            for word in set(WORD.findall(text.lower())):
                ids = _index.setdefault(word, [])
                if doc_id not in ids:
                    ids.append(doc_id)
            _save()
        return self._send(204, {})

    def log_message(self, fmt: str, *args) -> None:
        print(json.dumps({"level": "info", "msg": fmt % args}), flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
