"""A TCP forwarder on 127.0.0.1 in front of a real server (PostgreSQL), which a test can take down
and bring back: while down it drops every open connection and closes each new one at once, as a
restarting database server does; the real server itself is never touched."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


class OutageProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, database_url: str) -> str:
        """`database_url` reaching its server through this proxy."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def take_down(self) -> None:
        self.up = False
        with self._lock:
            for connection in self._open:
                _close(connection)
            self._open.clear()

    def bring_back(self) -> None:
        self.up = True

    def close(self) -> None:
        self.take_down()
        _close(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for connection in (source, sink):
                _close(connection)
                with self._lock:
                    self._open.discard(connection)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


@contextmanager
def outage_proxy(database_url: str) -> Iterator[OutageProxy]:
    url = make_url(database_url)
    proxy = OutageProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        yield proxy
    finally:
        proxy.close()
