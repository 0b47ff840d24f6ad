"""Writes of the indicators: the rollup rebuild."""
