"""Faults made for real: a small HTTP server on the loopback, and the ``sigah`` command in a subprocess.

:class:`ArchiveServer` serves one byte string at ``http://127.0.0.1:<port>/<name>`` with HTTP ranges
(``206``, and ``416`` with ``Content-Range: bytes */N`` past the end), and can misbehave as servers do:
announce the whole length and close the connection half-way, or send slowly. It answers at most
``max_requests`` requests (then ``429``) and records each request's ``Range`` header.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ServedFile:
    """What the server sends and how."""

    body: bytes
    truncate_at: int | None = None  # bytes of the payload sent before the connection is closed
    chunk: int = 1 << 16
    delay: float = 0.0  # seconds between chunks
    max_requests: int = 8
    ranges: list[str | None] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # a stalled client cannot hold a server thread for long

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        served: ServedFile = self.server.served
        served.ranges.append(self.headers.get("Range"))
        if len(served.ranges) > served.max_requests:
            self.send_error(429, "too many requests for one test")
            return
        body, start = served.body, 0
        wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if wanted:
            start = int(wanted.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        sent = payload if served.truncate_at is None else payload[: served.truncate_at]
        for offset in range(0, len(sent), served.chunk):
            self.wfile.write(sent[offset : offset + served.chunk])
            self.wfile.flush()
            time.sleep(served.delay)
        if served.truncate_at is not None:
            self.close_connection = True  # the rest never comes

    def log_message(self, *args) -> None:  # quiet test output
        pass


class ArchiveServer:
    """A threaded HTTP server on 127.0.0.1 serving one :class:`ServedFile`; use as a context manager."""

    def __init__(self, served: ServedFile, name: str = "toy.tar.gz") -> None:
        self.served = served
        self.name = name
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.served = served
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{self.name}"

    def __enter__(self) -> ArchiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def run_sigah(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the ``sigah`` command of this checkout in a subprocess; stdout and stderr as text."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "OPENBLAS_NUM_THREADS": "1"}
    environment.update(env or {})
    code = "import sys; from sigah.tools.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=environment,
                          timeout=timeout, cwd=str(ROOT))


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single ``sigah: error:`` line of a failed run; fails the test if there is anything else."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("sigah: error: "), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]
