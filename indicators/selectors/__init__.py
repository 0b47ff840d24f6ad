"""Reads of the indicators: staff figures (kpi), the public page (public), the stats API
(stats)."""
