"""A TCP proxy on 127.0.0.1 in front of a PostgreSQL server, which a test can cut and restore.

Cutting it is what a database outage looks like to the bot: every proxied connection is
aborted and new ones are refused (the port stops listening). Restoring listens on the same
port again, so the bot's DATABASE_URL stays valid. The target may be a TCP server or, for the
embedded server, a unix socket (``<host>/.s.PGSQL.<port>``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from app.tenancy.connections.config import ServerAddress

CHUNK = 65536


class PgProxy:
    """``async with PgProxy(target) as proxy:`` — point the bot at ``proxy.address``."""

    def __init__(self, target: ServerAddress) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        #: connections accepted since the proxy started (each one a bot connection)
        self.accepted = 0

    @property
    def address(self) -> ServerAddress:
        """The target's database and credentials, reached through the proxy."""
        return ServerAddress(
            host="127.0.0.1",
            port=self.port,
            user=self.target.user,
            password=self.target.password,
            database=self.target.database,
        )

    @property
    def is_cut(self) -> bool:
        """Whether the proxy currently refuses connections."""
        return self._server is None

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        if self._server is not None:
            return
        if self.port == 0:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            self._server = await asyncio.start_server(self._accept, sock=sock)
        else:
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", self.port, reuse_address=True
            )

    async def cut(self) -> None:
        """The outage: stop listening and abort every proxied connection, both ways."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._drop_all()

    async def restore(self) -> None:
        """The server is back: accept connections on the same port again."""
        await self.start()

    async def close(self) -> None:
        """Stop for good."""
        await self.cut()

    async def __aenter__(self) -> PgProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        pumps = list(self._pumps)
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = self.target.host, self.target.port
        if host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted just as the cut began
            client_w.transport.abort()
            return
        self.accepted += 1
        try:
            server_r, server_w = await asyncio.wait_for(self._open_upstream(), 5)
        except OSError:
            client_w.transport.abort()
            return
        if self._server is None:  # cut while the upstream connection was being opened
            client_w.transport.abort()
            server_w.transport.abort()
            return
        self._writers |= {client_w, server_w}
        for reader, writer in ((client_r, server_w), (server_r, client_w)):
            pump = asyncio.create_task(self._pump(reader, writer, client_w, server_w))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *pair: asyncio.StreamWriter,
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # One side hung up: hang up the other too, as a real connection would.
            for side in pair:
                self._writers.discard(side)
                with contextlib.suppress(Exception):
                    side.transport.abort()
