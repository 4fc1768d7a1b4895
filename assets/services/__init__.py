"""Writes of the assets app, one module per concept (inventory, attestation, vulns, deletion)."""
