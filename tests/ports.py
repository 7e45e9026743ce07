"""A TCP port on 127.0.0.1 for a child process to listen on, without a free-port race."""

from __future__ import annotations

import socket


def reserved_port() -> int:
    """A port the kernel will not hand to anyone else for about a minute.

    Asking for port 0 and closing the socket leaves a race: another process may be given the
    same port before the child binds it. Here the port is left in TIME_WAIT instead (the
    accepted side closes first): the kernel never picks a port in TIME_WAIT for a port-0
    bind, while a listener with SO_REUSEADDR — aiohttp's and PostgreSQL's default on Linux —
    may bind it at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = int(server.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # this side first: the TIME_WAIT is on the reserved port
            client.recv(1)  # the close has reached the client before it closes in turn
    return port
