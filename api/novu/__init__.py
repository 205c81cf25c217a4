"""The native face: Novu's REST API (routes, schemas, trigger planning, workflow validation, views, live inbox)."""
