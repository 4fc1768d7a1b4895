"""Amazon's requests for deletion (DPP 1.7) read from ``assets`` read-only: the 30- and 90-day
results decided by ``assets.deletion_rules`` and the signed certificates of destruction, attached
with the SHA-256 recorded when they were signed."""

from __future__ import annotations

from django.db.models import Q

from assets.deletion_rules import STATE_LABELS
from assets.selectors import annotate_deletion_state, deletion_requests_with_state
from grc.compliance.cadences import effective_cadence
from grc.evidence.collect import PackContext, on_time, person_name
from grc.evidence.sections.registry import Evidence, register

DELETE_KIND, LIVE_KIND = "assets.deletion_30d", "assets.deletion_90d"


@register(clause="1.7", key="assets.deletion", title="Deletion requests: 30 and 90 days, certificates", order=10)
def deletion_requests(ctx: PackContext) -> Evidence:

    # received before the period ended, and either in it or not yet certified when it started
    in_period = deletion_requests_with_state().filter(received_at__lt=ctx.period.end_at)
    in_period = in_period.filter(ctx.between("received_at") | ~Q(certificate__signed_at__lt=ctx.period.start_at))
    requests = annotate_deletion_state(in_period.order_by("received_at", "pk"))
    delete_within, live_within = effective_cadence(DELETE_KIND), effective_cadence(LIVE_KIND)  # the periods in force
    rows = []
    for item in requests:
        certificate = getattr(item, "certificate", None) if item.state == "certified" else None
        attachment = None
        if certificate is not None:
            attachment = ctx.attach(
                certificate.file,
                name=f"certificate-of-destruction-{item.pk}.pdf",
                description=f"Certificate of destruction for deletion request {item.reference}",
                recorded_sha256=certificate.sha256,
            )
        rows.append(
            [
                item.reference,
                item.received_at,
                len(item.store_states),
                item.deleted_at,
                on_time(item.deleted_at, delete_within.due_after(item.received_at), ctx.now),
                item.live_deleted_at,
                on_time(item.live_deleted_at, live_within.due_after(item.received_at), ctx.now),
                STATE_LABELS[item.state],
                f"{certificate.signed_at:%Y-%m-%d} by {person_name(certificate.signed_by)}" if certificate else "—",
                attachment.path if attachment else "—",
            ]
        )
    table = ctx.table(
        title="Requests received in the period or still open at its start",
        columns=(
            "Reference",
            "Received",
            "Stores",
            "Deleted",
            f"Within {delete_within.period}",
            "Live copies deleted",
            f"Within {live_within.period}",
            "State",
            "Certificate signed",
            "Certificate (in the ZIP)",
        ),
        rows=rows,
        csv_name="deletion-requests",
        description=f"DPP 1.7: Amazon's deletion requests with the {delete_within.period} and {live_within.period} results and certificates",
        empty="Amazon sent no deletion request in this period.",
    )
    return Evidence(facts=[("Deletion requests", len(rows))], tables=[table])
