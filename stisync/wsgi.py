"""Serving a WSGI app (the simulator, the demo provincial API) with waitress, in the
foreground or on a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server


@dataclass
class BackgroundServer:
    """A waitress server running on a daemon thread; `url` has no trailing slash."""

    server: Any
    thread: threading.Thread
    stopping: threading.Event

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    @property
    def url(self) -> str:
        host = self.server.effective_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop at once, open keep-alive connections included (a client's pooled connection
        would otherwise keep the serving loop alive). Workers finish their requests first; the
        sockets are then closed from inside the serving loop, so that no select() runs on a
        closed descriptor."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        ws = self.server
        ws.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:
            for channel in list(ws._map.values()):
                if channel is not ws:
                    channel.handle_close()
            ws.close()

        try:
            ws.trigger.pull_trigger(close_all)
        except OSError:  # the serving loop is already gone; nothing races us now
            close_all()
        self.thread.join(timeout=5)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, threads: int = 8
) -> BackgroundServer:
    """Start `app` on host:port (0 picks a free port) and return once it accepts connections."""
    # Waitress's own loop timeout (1 s): stop() wakes the loop through its trigger, and a
    # fraction would be truncated to 0, a loop spinning on a whole core.
    server = create_server(app, host=host, port=port, threads=threads, ident="stisync")
    stopping = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except (OSError, ValueError):
            # Closing sockets under the serving loop can surface as EBADF once we are stopping.
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, name=f"wsgi:{server.effective_port}", daemon=True)
    thread.start()
    return BackgroundServer(server, thread, stopping)


def serve_forever(app: Any, host: str, port: int, *, threads: int = 8) -> None:
    """Serve in the foreground until interrupted."""
    server = create_server(app, host=host, port=port, threads=threads, ident="stisync")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
