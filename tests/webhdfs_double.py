"""TEST DOUBLE — a WebHDFS REST endpoint (NameNode + DataNode in one HTTP server) over a local
directory, so the real ``hdfs`` (HdfsCLI) client is exercised at the protocol level: URLs under
``/webhdfs/v1``, ``op=`` parameters, the two-step CREATE/OPEN through a 307 redirect to a
"DataNode", JSON ``FileStatus``/``RemoteException`` bodies and HDFS's rename semantics (renaming
onto an existing directory moves the source *into* it).

Only the operations BayRes uses are implemented: GETFILESTATUS, LISTSTATUS, MKDIRS, CREATE,
OPEN, RENAME, DELETE. It is not HDFS — no blocks, replication or permissions; the ``cluster``-
marked tests run the same code against a real NameNode (``BAYRES_TEST_WEBHDFS_URL``).
"""
from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

PREFIX = "/webhdfs/v1"


class WebHdfsDouble:
    """``with WebHdfsDouble(tmp_path) as hdfs: InsecureClient(hdfs.url, user="bayres")``."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.requests: list[tuple[str, str, str]] = []  # (method, op, path) as received
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                double._handle(self, "GET")

            def do_PUT(self):
                double._handle(self, "PUT")

            def do_DELETE(self):
                double._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "WebHdfsDouble":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ protocol
    def _local(self, hdfs_path: str) -> Path:
        parts = [p for p in hdfs_path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise ValueError(hdfs_path)
        return self.base.joinpath(*parts)

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        if not url.path.startswith(PREFIX):
            return self._error(h, 404, "IllegalArgumentException", f"not a WebHDFS URL: {url.path}")
        hdfs_path = unquote(url.path[len(PREFIX):]) or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        op = query.get("op", "").upper()
        self.requests.append((method, op, hdfs_path))
        local = self._local(hdfs_path)
        try:
            handler = getattr(self, f"_{method.lower()}_{op.lower()}", None)
            if handler is None:
                return self._error(h, 400, "UnsupportedOperationException", f"{method} op={op}")
            handler(h, hdfs_path, local, query)
        except FileNotFoundError:
            self._error(h, 404, "FileNotFoundException", f"File does not exist: {hdfs_path}")

    def _status(self, local: Path, name: str = "") -> dict:
        stat = local.stat()
        return {"pathSuffix": name, "type": "DIRECTORY" if local.is_dir() else "FILE",
                "length": 0 if local.is_dir() else stat.st_size,
                "modificationTime": int(stat.st_mtime * 1000), "owner": "bayres",
                "group": "supergroup", "permission": "755", "replication": 0 if local.is_dir() else 3,
                "blockSize": 134217728, "accessTime": int(stat.st_atime * 1000)}

    def _get_getfilestatus(self, h, hdfs_path, local, query):
        if not local.exists():
            raise FileNotFoundError(hdfs_path)
        self._json(h, 200, {"FileStatus": self._status(local)})

    def _get_liststatus(self, h, hdfs_path, local, query):
        if not local.exists():
            raise FileNotFoundError(hdfs_path)
        entries = [self._status(p, p.name) for p in sorted(local.iterdir())] if local.is_dir() \
            else [self._status(local)]
        self._json(h, 200, {"FileStatuses": {"FileStatus": entries}})

    def _put_mkdirs(self, h, hdfs_path, local, query):
        if local.exists() and not local.is_dir():
            return self._error(h, 403, "FileAlreadyExistsException", f"{hdfs_path} is a file")
        local.mkdir(parents=True, exist_ok=True)
        self._json(h, 200, {"boolean": True})

    def _put_create(self, h, hdfs_path, local, query):
        if query.get("datanode") != "true":  # NameNode step: point the client at a DataNode
            if local.exists() and query.get("overwrite", "false").lower() != "true":
                return self._error(h, 403, "FileAlreadyExistsException", f"{hdfs_path} already exists")
            h.send_response(307)
            h.send_header("Location", f"{self.url}{PREFIX}{quote(hdfs_path)}?op=CREATE&datanode=true")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = self._body(h)  # DataNode step: the bytes
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(body)
        h.send_response(201)
        h.send_header("Location", f"hdfs://namenode{hdfs_path}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _get_open(self, h, hdfs_path, local, query):
        if not local.is_file():
            raise FileNotFoundError(hdfs_path)
        if query.get("datanode") != "true":
            h.send_response(307)
            h.send_header("Location", f"{self.url}{PREFIX}{quote(hdfs_path)}?op=OPEN&datanode=true")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = local.read_bytes()
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _put_rename(self, h, hdfs_path, local, query):
        target = self._local(query["destination"])
        if not local.exists() or not target.parent.is_dir():
            return self._json(h, 200, {"boolean": False})
        if target.is_dir():  # HDFS: into the directory
            target = target / local.name
        if target.exists():
            return self._json(h, 200, {"boolean": False})
        local.rename(target)
        self._json(h, 200, {"boolean": True})

    def _delete_delete(self, h, hdfs_path, local, query):
        if not local.exists():
            return self._json(h, 200, {"boolean": False})
        if local.is_dir():
            if any(local.iterdir()) and query.get("recursive", "false").lower() != "true":
                return self._error(h, 403, "PathIsNotEmptyDirectoryException", f"{hdfs_path} is non empty")
            shutil.rmtree(local)
        else:
            local.unlink()
        self._json(h, 200, {"boolean": True})

    # ------------------------------------------------------------------ HTTP helpers
    @staticmethod
    def _body(h) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(h.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    h.rfile.readline()
                    return b"".join(chunks)
                chunks.append(h.rfile.read(size))
                h.rfile.readline()
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    @staticmethod
    def _json(h, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h, status: int, exception: str, message: str) -> None:
        self._json(h, status, {"RemoteException": {
            "exception": exception, "javaClassName": f"org.apache.hadoop.{exception}",
            "message": message}})
