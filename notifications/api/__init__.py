"""REST API of the notifications engine: demand notices, demand signals, webhook endpoints.

Built on the shared API machinery of applications.api (organisation-scoped viewsets, scopes,
idempotency, cursor pagination, the problem shape); registered in portal/api_router.py.
"""
