"""Clients of the read-only data API ("数据只报一次"): other government systems pull from here
instead of asking communities again. Each client is bound to an org unit's subtree."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from people.models import OrgUnit


class ApiClient(models.Model):
    name = models.CharField(_("System"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("May read the units under"),
    )
    # Only a keyed hash of the token is kept: the token itself is shown once, when made.
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8)
    sees_personal_data = models.BooleanField(
        _("May read unmasked mobile numbers"),
        default=False,
        help_text=_("Only for systems that are entitled to personal data; every call is logged."),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("Requests per minute"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(6000)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self):
        return self.name

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ApiCall(models.Model):
    """Every call, answered or refused: who, when, what, with what result."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    query = models.CharField(max_length=500, blank=True)
    status = models.PositiveSmallIntegerField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("API call")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"
