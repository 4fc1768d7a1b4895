"""Pages of the access-review app, one module per concept; every view declares its roles."""
