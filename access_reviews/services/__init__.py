"""Services: every write of the app, one module per concept (registry, deprovision, campaigns,
requests, training). Views and tasks call these; they write the audit trail."""
