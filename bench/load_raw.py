"""A lean HTTP/1.1 client for bench/load.py's cheapest scenarios: prebuilt request bytes written to
keep-alive connections (asyncio streams), each answer read by its Content-Length.

aiohttp spends ~0.4-0.6 ms of CPU per request building and parsing what is the same request every
time; at 1,000 requests/s on the 2 cores the server also uses, that is a fifth of the machine. This
client does only what one fixed request to our own server needs (no redirects, no chunked answers:
gunicorn sends Flask's answers with Content-Length), so the generator's cost stops hiding the server's."""
from __future__ import annotations

import asyncio
import re

_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection: *close", re.IGNORECASE)


def post_request(host: str, port: int, path: str, content_type: str, body: bytes) -> bytes:
    """The bytes of one keep-alive POST."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nAccept: application/json\r\n\r\n")
    return head.encode("ascii") + body


class RawClient:
    """Keep-alive connections to one server, reused last-in first-out; one request at a time on each."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """(status, body) of `request`. A kept connection the server closed meanwhile (its keep-alive
        timeout, a worker recycled) is replaced once by a new one."""
        while self.idle:
            reader, writer = self.idle.pop()
            if reader.at_eof():
                writer.close()
                continue
            try:
                return await self._exchange(reader, writer, request)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                break
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(reader, writer, request)

    async def _exchange(self, reader, writer, request: bytes) -> tuple[int, bytes]:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = _LENGTH.search(head)
        body = await reader.readexactly(int(length[1])) if length else await reader.read()
        if length and not _CLOSE.search(head):
            self.idle.append((reader, writer))
        else:
            writer.close()
        return int(head[9:12]), body
