"""Read-only share links of the division table (易于共享: view and download without an account)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TableShareLink(models.Model):
    """Anyone with the link sees the table as its creator sees it (the creator's scope, the
    filters saved in ``query``), without edit controls, until it expires or is revoked.
    Only a hash of the link's secret is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="work_share_links",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        app_label = "work"
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or str(_("Share link"))

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
