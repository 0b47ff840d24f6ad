"""SQLite that creates its file's folder (`var/` on a fresh clone) on the first connection, so
no settings module has to create directories when it is imported."""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        if not self.is_in_memory_db():
            Path(self.settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
