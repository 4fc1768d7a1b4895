"""Writes of the risk register, each keyword-only, taking ``now``, in one transaction, writing the
audit trail (ids and field names only: risk texts never enter it) and keeping the obligations:

* ``register`` — risks: record, edit, close, reopen; the score history; the annual-review clock.
* ``treatment`` — treatment actions (``risks.treatment_action``) and acceptances
  (approval with step-up MFA; ``risks.acceptance_revisit`` at the expiry).
* ``reviews`` — the annual senior-management review (``risks.annual_review``).
"""
