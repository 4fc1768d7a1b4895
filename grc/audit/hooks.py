"""The audit trail's signals: how it reaches code it must not import.

The audit trail is the lowest app layer: the alarm rules sit above ``record_event``, and the
emails and obligations that act on its alarms and housekeeping (``grc.oversight``) sit above the
accounts and the obligation engine. Those connect here, from their ``AppConfig.ready()``.

* ``event_watched(event)`` — ``record_event`` just wrote a failed sign-in, a denial, a download or
  a page view; the alarm rules (``grc.audit.rules``) look at it at once.
* ``alarm_mail(alarm)`` — email the people who must hear of a new alarm; each receiver returns how
  many emails it sent. Errors propagate, so the claim on the alarm is given back and retried.
* ``housekeeping_done(now)`` — the daily purge-and-verify task finished; the log-review
  obligation is made sure of there.
"""

from __future__ import annotations

from django.dispatch import Signal

event_watched = Signal()
alarm_mail = Signal()
housekeeping_done = Signal()
