"""Forms of the assets app, split like the services (inventory, vulnerabilities, deletion)."""
