"""REST API of the notifications engine: demand notices, demand signals, webhook endpoints.

Built on the shared API machinery: workgroups.api (organisation-scoped viewsets, scopes,
idempotency) and core.api (cursor pagination, strict filters, the problem shape); registered
in portal/api_router.py.
"""
