"""A TCP proxy in front of PostgreSQL that can hang: it stops forwarding without
closing anything, as a stuck pooler or a network that drops packets would.

While it hangs, connections stay open and new ones are accepted, but no byte goes
through in either direction; what arrives meanwhile is held and delivered, in order,
once it forwards again.
"""

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import make_url

HOST = "127.0.0.1"


def upstream_of(database_url: str) -> Callable[[], socket.socket]:
    """How to reach the server of `database_url`: its Unix socket or TCP address."""
    parts = urlsplit(database_url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    port = parts.port or 5432
    if socket_dir.startswith("/"):
        path = str(Path(socket_dir) / f".s.PGSQL.{port}")

        def unix() -> socket.socket:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(path)
            return connection

        return unix
    host = parts.hostname or "127.0.0.1"
    return lambda: socket.create_connection((host, port))


def through(database_url: str, port: int) -> str:
    """`database_url`, but reaching its server through 127.0.0.1:`port`."""
    url = make_url(database_url)
    query = {key: value for key, value in url.query.items() if key != "host"}
    proxied = url.set(host=HOST, port=port, query=query)
    return proxied.render_as_string(hide_password=False)


@dataclass
class HangingProxy:
    listener: socket.socket
    connect_upstream: Callable[[], socket.socket]
    forwarding: threading.Event = field(default_factory=threading.Event)
    closing: threading.Event = field(default_factory=threading.Event)
    sockets: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        port: int = self.listener.getsockname()[1]
        return port

    def hang(self) -> None:
        self.forwarding.clear()

    def resume(self) -> None:
        self.forwarding.set()

    def accept_forever(self) -> None:
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
                client.settimeout(None)
                upstream = self.connect_upstream()
            except OSError:
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self.pump, args=(source, target), daemon=True
                ).start()

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                self.forwarding.wait()
                if self.closing.is_set():
                    return
                target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.closing.set()
        self.forwarding.set()
        with suppress(OSError):
            self.listener.close()
        with self.lock:
            for connection in self.sockets:
                with suppress(OSError):
                    connection.close()


@contextmanager
def hanging_proxy(database_url: str) -> Iterator[HangingProxy]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(64)
    listener.settimeout(0.2)  # so that accept() sees `closing`
    proxy = HangingProxy(listener, upstream_of(database_url))
    proxy.resume()
    thread = threading.Thread(target=proxy.accept_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.close()
        thread.join(timeout=5)
