"""A real SMTP server on localhost (stdlib sockets) that keeps what it receives, so a test
proves a message went over the wire through Django's SMTP backend."""

from __future__ import annotations

import email
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class Sink:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        write = self.wfile.write
        write(b"220 localhost test SMTP\r\n")
        sender, recipients = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            upper = command.upper()
            if upper.startswith(("EHLO", "HELO")):
                write(b"250-localhost\r\n250 8BITMIME\r\n")
            elif upper.startswith("MAIL FROM:"):
                sender, recipients = command[10:].strip().strip("<>"), []
                write(b"250 OK\r\n")
            elif upper.startswith("RCPT TO:"):
                recipients.append(command[8:].strip().strip("<>"))
                write(b"250 OK\r\n")
            elif upper == "DATA":
                write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                sink.messages.append(
                    Received(sender, recipients, email.message_from_bytes(b"".join(lines)))
                )
                write(b"250 OK queued\r\n")
            elif upper == "RSET" or upper == "NOOP":
                write(b"250 OK\r\n")
            elif upper == "QUIT":
                write(b"221 Bye\r\n")
                return
            else:
                write(b"502 Not implemented\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    server = _Server(("127.0.0.1", 0), _Handler)
    sink = Sink("127.0.0.1", server.server_address[1])
    server.sink = sink  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
