"""A TCP proxy the tests can cut or blackhole: between the app and its database, without
touching the database server itself (other test runs use it).

``cut()`` is a clean outage (connections reset, new ones refused). ``blackhole()`` is a
partition: connections are still accepted, nothing is forwarded either way, nothing is sent
back and nothing is reset — the peer just goes silent. ``restore()`` lets new connections flow
again; those that lost bytes in the partition stay silent (their streams are broken), as after
a real partition the application must drop them."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self.blackholed = False
        self._broken: set[asyncio.StreamWriter] = set()  # lost bytes in a partition

    def blackhole(self) -> None:
        """From now on, drop every byte (open connections and new ones), say nothing."""
        self.blackholed = True

    def restore(self) -> None:
        self.blackholed = False

    async def start(self) -> None:
        """Listen (on the same port again after a cut)."""
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """The database "goes away": open connections are dropped, new ones refused."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.blackholed:
            self._writers.add(writer)
            self._broken.add(writer)
            task = asyncio.create_task(self._swallow(reader))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                if self.blackholed or sink in self._broken:
                    self._broken.add(sink)  # dropped: this stream is broken for good
                    continue
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(sink)
            with contextlib.suppress(Exception):
                sink.close()

    async def _swallow(self, source: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while await source.read(65536):
                pass
