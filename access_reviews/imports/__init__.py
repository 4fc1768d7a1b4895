"""CSV imports: accounts per system (mapped columns) and people, with line-numbered errors,
a preview of adds/changes/removes, and an all-or-nothing apply run in Celery."""
