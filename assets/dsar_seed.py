"""Demo data-subject requests (DPP 2.2), called at the end of the assets seed (``assets/seed.py``)
once the inventory's data stores exist: one answered in time, one answered long ago whose
requester details were purged, one open, one open with its deadline extended. The
confidentiality agreements of the registry follow the assets seed (``grc.seeding``)."""

from __future__ import annotations

from datetime import timedelta

from assets.services.dsar import dsar_create, dsar_extend, dsar_purge_expired, dsar_respond

# type, channel, days ago received, verified, answered days ago (None: open), outcome, extended
REQUESTS = [
    ("erase", "authorized_user", 130, True, 110, "fulfilled", False),
    ("access", "authorized_user", 40, True, 22, "fulfilled", False),
    ("restrict", "email", 26, True, None, "", True),
    ("rectify", "amazon", 9, False, None, "", False),
]


def seed(ctx) -> None:
    lead = ctx.users["lead"]
    stores = [store for store in ctx.made.get("data_stores") or [] if store.asset.holds_pii]
    made = []
    for n, (kind, channel, days_ago, verified, answered_days_ago, outcome, extended) in enumerate(REQUESTS, start=1):
        received = ctx.now - timedelta(days=days_ago)
        dsar = dsar_create(
            data={
                "received_at": received,
                "channel": channel,
                "request_type": kind,
                "handler": lead,
                "requester_name": f"Demo Customer {n}",
                "requester_contact": f"customer{n}@example.invalid",
                "requester_reference": f"Order 203-{4410000 + n:07d}",
                "authorized_user": "Example Seller Tools demo store" if channel == "authorized_user" else "",
                "request_details": f"The customer asks us to {kind} their information held about their orders.",
                "identity_verified": verified,
                "verification_method": "order_details" if verified else "",
                "verification_note": "Matched the order id and delivery postcode." if verified else "",
                "actions_taken": "Searched every PII store; " + ("exported the order history." if kind == "access" else "done as asked.")
                if answered_days_ago
                else "",
            },
            stores=stores if verified else stores[:1],
            by=lead,
            now=received + timedelta(hours=2),
        )
        if extended:
            dsar_extend(
                dsar=dsar,
                reason="Several linked orders across three stores; the customer was told on the day.",
                by=lead,
                now=received + timedelta(days=12),
            )
        if answered_days_ago is not None:
            sent = ctx.now - timedelta(days=answered_days_ago)
            dsar_respond(dsar=dsar, response_sent_at=sent, outcome=outcome, note="Sent through the seller's messaging.", by=lead, now=sent)
        made.append(dsar)
    purged = dsar_purge_expired(now=ctx.now)
    ctx.made["data_subject_requests"] = made
    ctx.say(f"Data-subject requests: {len(made)} ({purged} with the requester's details purged after retention, 2 open, 1 extended).")
