"""Pages of the assets app, one module per concept (inventory, imports, attestation, vulnerabilities, deletion)."""
