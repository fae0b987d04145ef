"""A plain HTTP client over real sockets for the front-server tests: a logged-in session,
bodies streamed from a generator (never held whole), and the memory of a server process.

The standard library only, so what is measured is the server, not a client library's
buffering.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BOUNDARY = "stagecoach-test-boundary"
MB = 1024 * 1024


def tls_context(cafile: Path | None) -> ssl.SSLContext | None:
    """A context that trusts exactly the test's own certificate (None for plain HTTP)."""
    if cafile is None:
        return None
    return ssl.create_default_context(cafile=str(cafile))


@dataclass
class Session:
    """Cookies and CSRF token of one user of the real server at `base` (http or https)."""

    base: str
    cafile: Path | None = None
    source: str | None = None
    """The local address to connect from (any of 127.0.0.0/8 on Linux), if not the default."""
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        parts = urlsplit(self.base)
        source = (self.source, 0) if self.source else None
        if parts.scheme == "https":
            return http.client.HTTPSConnection(
                parts.netloc,
                timeout=timeout,
                context=tls_context(self.cafile),
                source_address=source,
            )
        return http.client.HTTPConnection(parts.netloc, timeout=timeout, source_address=source)

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Host": self.host, "Referer": self.base + "/"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        return headers | extra

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        timeout: float = 30,
        **headers: str,
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=self.headers(**headers))
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response, content

    def log_in(self, username: str, password: str) -> None:
        response, page = self.request("GET", "/accounts/login/")
        assert response.status == 200, (response.status, page[:500])
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page[:500]
        form = urlencode(
            {"csrfmiddlewaretoken": token[1].decode(), "username": username, "password": password}
        ).encode()
        response, page = self.request(
            "POST",
            "/accounts/login/",
            form,
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status == 302, (response.status, page[:500])
        assert "sessionid" in self.cookies, self.cookies

    def open_socket(self, timeout: float = 60) -> socket.socket:
        parts = urlsplit(self.base)
        sock = socket.create_connection(
            (parts.hostname, parts.port or 80),
            timeout=timeout,
            source_address=(self.source, 0) if self.source else None,
        )
        context = tls_context(self.cafile)
        if parts.scheme == "https" and context is not None:
            return context.wrap_socket(sock, server_hostname=parts.hostname)
        return sock


def multipart_head(field_name: str, filename: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


MULTIPART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def no_newlines(size: int, chunk: int = MB) -> Iterator[bytes]:
    """`size` bytes without a single line break, made as they are sent."""
    block = b"a" * chunk
    while size > 0:
        yield block[: min(chunk, size)]
        size -= chunk


def send_upload(
    session: Session,
    path: str,
    *,
    field_name: str,
    file_bytes: int,
    fields: dict[str, str] | None = None,
    chunked: bool = False,
    htmx: bool = False,
    timeout: float = 120,
) -> bytes:
    """POST a multipart body whose file is `file_bytes` without a newline, streamed from a
    generator, and return what the server answered (b"" if it closed without a word)."""
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ) + multipart_head(field_name, "huge.wav")
    tail = MULTIPART_TAIL
    headers = session.headers(
        **{"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Connection": "close"}
    )
    if htmx:
        headers["HX-Request"] = "true"
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(len(head) + file_bytes + len(tail))
    request = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = session.open_socket(timeout)
    answer = b""
    try:
        sock.sendall(request.encode() + b"\r\n")
        for part in (head, *no_newlines(file_bytes), tail):
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading: what it said (if anything) is read below
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    finally:
        sock.close()
    return answer


# --- Memory of a server process -----------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


SAMPLE_EVERY_S = 0.005


class PeakMemory:
    """The largest resident set of a process while the block runs, sampled every 5 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.idle_bytes = rss_bytes(pid)
        self.peak_bytes = self.idle_bytes
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        # Sampling, not waiting: the loop ends the moment the block does.
        while not self._done.wait(SAMPLE_EVERY_S):
            try:
                self.peak_bytes = max(self.peak_bytes, rss_bytes(self.pid))
            except OSError:
                return  # the process is gone: the test sees why

    @property
    def growth_mb(self) -> float:
        return (self.peak_bytes - self.idle_bytes) / MB

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
