"""Every non-trivial read of the workgroups' own work, scoped to the caller."""
