"""Who is calling the API: token authentication, scopes, throttles, idempotent replays."""
