"""One module per area of the API: serializers, filters and viewsets. Reads use the apps' own
visibility helpers; writes call the apps' services, which validate, write and audit."""
