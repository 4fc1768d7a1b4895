"""Real email backends that fail, for the reminder retry tests (set with ``settings.EMAIL_BACKEND``).

They stand in for a mail server that refuses or drops the connection; the code under test
(the sweep) is not mocked.
"""

from __future__ import annotations

import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class RefusingEmailBackend(BaseEmailBackend):
    """Every send fails as if the SMTP server hung up."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefuseSomeRecipientsBackend(BaseEmailBackend):
    """Delivers to locmem's outbox, except to addresses listed in ``REFUSED`` (the server refuses them)."""

    REFUSED: set[str] = set()

    def send_messages(self, email_messages):
        for message in email_messages:
            refused = {address for address in message.to if address in self.REFUSED}
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"mailbox unavailable") for address in refused})
            if not hasattr(mail, "outbox"):
                mail.outbox = []
            mail.outbox.append(message)
        return len(email_messages)
