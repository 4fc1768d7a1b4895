"""``python -m tests.faults.gated_pack_worker <celery worker arguments>``: a Celery worker whose
PDF rendering of evidence packs waits until the file named by ``PACK_RENDER_GATE`` exists.

tests/faults/test_pack_worker_killed.py starts it to hold a build at "Rendering the PDF" — the
step where packs used to sit for ever — and SIGKILLs it there. The wait is bounded so that a
forgotten worker ends by itself; the portal's own code is not changed for the test.
"""

from __future__ import annotations

import os
import sys
import time

GATE_WAIT_SECONDS = 300


def install_gate(gate: str) -> None:
    import grc.pdf

    render = grc.pdf.render_pdf_pages

    def gated(*args, **kwargs):
        deadline = time.monotonic() + GATE_WAIT_SECONDS
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.1)
        return render(*args, **kwargs)

    grc.pdf.render_pdf_pages = gated


def main() -> None:
    if os.environ.get("PACK_RENDER_GATE"):
        install_gate(os.environ["PACK_RENDER_GATE"])
    from celery.bin.celery import main as celery_main

    sys.argv = ["celery", "-A", "grc", "worker", *sys.argv[1:]]
    sys.exit(celery_main())


if __name__ == "__main__":
    main()
