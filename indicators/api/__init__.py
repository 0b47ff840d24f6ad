"""REST API of the indicators (`/api/v1/stats/`), registered in portal/api_router.py."""
