"""The FastAPI app: app (the factory), deps (sessions, API tokens, roles, enqueue), schemas (the
JSON API's own request and response bodies), documents (printable documents), security (the
headers every answer carries), routes/ (the JSON API under /api) and web/ (the staff pages)."""
