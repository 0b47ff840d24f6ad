"""Querysets that guard how rows may change."""

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Audit rows are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError("state changes are append-only")

    def delete(self):
        raise TypeError("state changes are append-only")


class AppendOnlyModel:
    """Mixin for a model whose rows are facts (audit rows, history, events): a row is written
    once, never saved again and never deleted one by one. Put it before `models.Model`."""

    _state: models.base.ModelState

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")
