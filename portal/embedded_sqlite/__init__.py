"""Django's SQLite backend for the embedded mode, creating the database's folder on first use."""
