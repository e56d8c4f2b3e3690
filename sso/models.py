"""Who a person is at the identity provider, and what their provider groups give them."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from plans.roles import ALL_ROLES


class ExternalIdentity(models.Model):
    """A person's account at the identity provider, linked to their user here.

    Matched on the issuer and subject, and for Entra ID also on the tenant (`tid`) and
    object id (`oid`), which stay the same when the person's name or address changes;
    never on the e-mail address or user name, which are reused."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    tid = models.CharField("tenant id", max_length=64, blank=True)
    oid = models.CharField("object id", max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "external identity"
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="%(app_label)s_%(class)s_unique_subject"
            ),
            models.UniqueConstraint(
                fields=["tid", "oid"],
                condition=~Q(tid="") & ~Q(oid=""),
                name="%(app_label)s_%(class)s_unique_object_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"


class GroupMapping(models.Model):
    """A provider group (for Entra ID, the group's object id as the `groups` claim gives
    it) and the role and organisation it gives in the product. Applied at every sign-in:
    someone taken out of the group loses the role at their next one."""

    group_id = models.CharField(
        "provider group id",
        max_length=255,
        unique=True,
        help_text="As the token's groups claim gives it: for Entra ID, the group's Object ID.",
    )
    description = models.CharField(max_length=255, blank=True)
    role = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        related_name="provider_groups",
        null=True,
        blank=True,
        limit_choices_to={"name__in": ALL_ROLES},
    )
    organisation = models.ForeignKey(
        "plans.Organisation",
        on_delete=models.PROTECT,
        related_name="provider_groups",
        null=True,
        blank=True,
        help_text="The organisation whose plans (and plans shared with it) members see.",
    )

    class Meta:
        ordering = ["group_id"]

    def __str__(self) -> str:
        gives = ", ".join(str(thing) for thing in (self.role, self.organisation) if thing)
        return f"{self.description or self.group_id} → {gives or 'nothing'}"
