"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Use the `smtp_server` fixture (import it into the test module), or
`running_smtp(port)` to start a server later on a port chosen in advance.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.workers import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()


class SmtpSink:
    """An aiosmtpd handler: accepts every mail except to addresses in `refuse`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@contextmanager
def running_smtp(port: int | None = None) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def point_mail_at(app, monkeypatch, port: int) -> None:
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_SENDER": "noreply@sesamlike.test",
    }.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def smtp_server(app, monkeypatch) -> Iterator[SmtpSink]:
    """A running SMTP server on 127.0.0.1, with the app's MAIL_* settings on it."""
    with running_smtp() as sink:
        point_mail_at(app, monkeypatch, sink.port)
        yield sink
