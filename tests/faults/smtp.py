"""A small real SMTP server on loopback for the fault tests: it speaks enough SMTP for
``smtplib`` (and so Django's SMTP backend) and can be told to misbehave the way mail servers do.

Modes (``server.mode``, changeable while it runs):

* ``ok``          accept every message;
* ``hang``        accept the connection and never greet (the client blocks: a stuck worker);
* ``drop``        hang up after ``RCPT TO`` (SMTPServerDisconnected in the client);
* ``tempfail``    answer 451 to the end of ``DATA`` (the message is not accepted);
* ``refuse``      550 to ``RCPT TO`` for the addresses in ``server.refused`` (others are accepted).

In any mode, ``RCPT TO`` one of ``server.hang_for`` never gets an answer (a stuck send to one
recipient, while others go through).

Accepted messages are kept in ``server.messages`` as ``(recipients, data)``; ``server.connections``
counts connections (a hung one included).
"""

from __future__ import annotations

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SmtpServer = self.server.owner  # type: ignore[attr-defined]
        with server.lock:
            server.connections += 1
        if server.mode == "hang":
            server.hung.set()
            server.release.wait(timeout=120)
            return
        self.reply("220 faults.test ESMTP")
        recipients: list[str] = []
        while True:
            try:
                raw = self.rfile.readline()
            except (TimeoutError, ConnectionError):
                return
            if not raw:
                return
            command = raw.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 faults.test")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 ok")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").lower()
                if address in server.hang_for:
                    server.hung.set()
                    server.release.wait(timeout=120)
                    return
                if server.mode == "drop":
                    return  # hang up mid-transaction
                if server.mode == "refuse" and address in server.refused:
                    self.reply("550 mailbox unavailable")
                else:
                    recipients.append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line)
                if server.mode == "tempfail":
                    self.reply("451 try again later")
                else:
                    with server.lock:
                        server.messages.append((list(recipients), b"".join(lines)))
                    self.reply("250 queued")
            elif verb == "RSET":
                recipients = []
                self.reply("250 ok")
            elif verb == "NOOP":
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpServer:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.refused: set[str] = set()
        self.hang_for: set[str] = set()
        self.messages: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.hung = threading.Event()
        self.release = threading.Event()
        self._server = _TCPServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SmtpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def recipients(self) -> list[str]:
        """Every recipient of every accepted message, in order (a doubled email shows twice)."""
        with self.lock:
            return [address for to, _data in self.messages for address in to]
