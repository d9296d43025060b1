"""The HTTP face of the back office (FastAPI): routers, auth, error mapping, OpenAPI."""
