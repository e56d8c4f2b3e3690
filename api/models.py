"""API keys: one per consuming system (a Power BI workspace, the council's website),
stored as a hash, scoped to plans, revocable. `api.keys` issues and checks them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plans.models import Plan


class ApiKey(models.Model):
    """A key a system sends as `Authorization: Api-Key <key>` to read the API.

    Only a SHA-256 hash of the key is stored: the key is shown once, when it is made.
    `prefix`, the key's first characters, finds the row; the hash is then compared. The
    key reads only the plans in `plans` that its creator can still see.
    """

    name = models.CharField(max_length=200, help_text="The system that uses it: 'Power BI'.")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    plans = models.ManyToManyField(
        Plan, related_name="api_keys", help_text="The plans this key may read."
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        editable=False,
        related_name="api_keys",
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_used = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Recorded at most once a minute."
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
