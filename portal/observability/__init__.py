"""Seeing the running portal: liveness and readiness probes, Prometheus metrics, the request id
in logs and tasks, and the record of each periodic task's last run (docs/operations.md)."""
