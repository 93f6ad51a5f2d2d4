"""A small HTTP server for upload tests: stores what PUT sends, like an S3 bucket or a WebDAV drop.

    python put_server.py DIR [--fail-first N] [--status CODE] [--slow SECONDS]

Listens on 127.0.0.1 on a free port and writes the port to DIR/port when ready.
A PUT to /any/path/NAME stores the body as DIR/files/NAME (only once all of
Content-Length arrived: a cut upload leaves nothing). Chunked uploads are refused
with 501, as S3 and MinIO do. Every request is appended to DIR/requests.jsonl.
``--fail-first N`` answers the first N PUTs with 500; ``--status`` answers every
PUT with that code; ``--slow`` sleeps that long per 16 KiB read of the first PUT
(to kill or cancel mid-upload). ``--redirect URL`` answers a PUT outside ``/landed/`` with
307 to URL + the name asked for (after reading the body).

The tests run it in a thread of their own process (``serve``, through share_helpers.PutServer):
a fresh interpreter per server cost each upload test about 0.1 s of start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("dir", type=Path)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--status", type=int, default=0)
    p.add_argument("--slow", type=float, default=0.0)
    p.add_argument("--redirect", default="")
    return p


class Server(ThreadingHTTPServer):
    """One server's options and its count of PUTs started."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.args = args
        self.lock = threading.Lock()
        self.started = 0


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def _note(self, status: int, length: int, received: int) -> None:
        with self.server.lock, open(self.server.args.dir / "requests.jsonl", "a") as fh:
            fh.write(
                json.dumps(
                    {
                        "method": self.command,
                        "path": self.path,
                        "length": length,
                        "received": received,
                        "status": status,
                        "chunked": "chunked" in (self.headers.get("Transfer-Encoding") or ""),
                        "headers": dict(self.headers.items()),
                    }
                )
                + "\n"
            )

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            self._note(501, -1, 0)
            self._answer(501, b"chunked uploads are not supported")
            return
        length = int(self.headers.get("Content-Length") or -1)
        if length < 0:
            self._note(411, -1, 0)
            self._answer(411)
            return
        args = self.server.args
        with self.server.lock:
            self.server.started += 1
            n = self.server.started
        chunks, got = [], 0
        while got < length:
            part = self.rfile.read(min(16384, length - got))
            if not part:
                break
            chunks.append(part)
            got += len(part)
            if args.slow and n == 1:
                time.sleep(args.slow)  # a slow server is the subject
        if got < length:
            self._note(0, length, got)
            return
        if args.redirect and not self.path.startswith("/landed/"):
            self._note(307, length, got)
            self.send_response(307)
            self.send_header("Location", args.redirect + Path(self.path.split("?")[0]).name)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = args.status or (500 if n <= args.fail_first else 201)
        if status < 300:
            name = Path(self.path.split("?")[0]).name
            files = args.dir / "files"
            files.mkdir(exist_ok=True)
            tmp = files / f".{name}.tmp"
            tmp.write_bytes(b"".join(chunks))
            os.replace(tmp, files / name)
        self._note(status, length, got)
        self._answer(status)


def serve(argv: list[str]) -> tuple[Server, threading.Thread]:
    """A server for ``argv`` (the command line's arguments) answering in a thread; ``stop`` ends it."""
    server = Server(parser().parse_args(argv))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server, thread


def stop(server: Server, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join()


def main() -> None:
    server = Server(parser().parse_args())
    (server.args.dir / "port.tmp").write_text(str(server.server_address[1]))
    os.replace(server.args.dir / "port.tmp", server.args.dir / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
