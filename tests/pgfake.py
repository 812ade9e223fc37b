"""A fake PostgreSQL server on loopback, for the driver errors the shared test server cannot give: it trusts every
local connection, so it never fails a password, and it always answers.

``FakePostgres("password")`` asks for a clear-text password and rejects it as a real server does (SQLSTATE 28P01);
``FakePostgres("silent")`` accepts the connection and never answers (the client's connect timeout fires). It serves
at most a few connections, each bounded by a socket timeout, and stops when the ``with`` block ends.
"""
from __future__ import annotations

import socket
import struct
import threading

SSL_REQUEST, GSS_REQUEST = 80877103, 80877104


def _error(code: str, message: str) -> bytes:
    fields = b"".join(k + v.encode() + b"\0" for k, v in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code),
                                                          (b"M", message))) + b"\0"
    return b"E" + struct.pack("!I", 4 + len(fields)) + fields


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class FakePostgres:
    def __init__(self, mode: str, *, max_connections: int = 4, timeout: float = 20.0):
        assert mode in ("password", "silent")
        self.mode, self.max_connections, self.timeout = mode, max_connections, timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(timeout)
        self.port = self.sock.getsockname()[1]
        self.passwords: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "FakePostgres":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        self._thread.join(timeout=self.timeout)

    def _serve(self) -> None:
        for _ in range(self.max_connections):
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed by __exit__, or nobody came
                return
            with conn:
                conn.settimeout(self.timeout)
                try:
                    self._talk(conn)
                except (OSError, ConnectionError):
                    pass

    def _talk(self, conn: socket.socket) -> None:
        while True:  # SSL / GSS encryption requests first: refused, the client goes on in clear text
            length, code = struct.unpack("!II", _recv_exact(conn, 8))
            if length == 8 and code in (SSL_REQUEST, GSS_REQUEST):
                conn.sendall(b"N")
                continue
            _recv_exact(conn, length - 8)  # the rest of the startup message
            break
        if self.mode == "silent":
            conn.recv(1)  # until the client gives up and closes
            return
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        kind = _recv_exact(conn, 1)
        (length,) = struct.unpack("!I", _recv_exact(conn, 4))
        body = _recv_exact(conn, length - 4)
        if kind == b"p":
            self.passwords.append(body.rstrip(b"\0"))
        conn.sendall(_error("28P01", 'password authentication failed for user "clerk"'))
