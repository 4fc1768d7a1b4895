"""Pages of the evidence app, by concept: home, packs (and verify), auditor access, audits, letters."""
