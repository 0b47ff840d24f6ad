"""Querysets that guard how rows may change."""

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Audit rows are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError("state changes are append-only")

    def delete(self):
        raise TypeError("state changes are append-only")
