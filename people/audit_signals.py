"""Security events into the audit log: logins, failures, logouts, passwords, two-factor changes,
roles and administrator duties — wherever they happen (allauth, Wagtail admin, a command)."""

from allauth.mfa import signals as mfa_signals
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from .audit import record
from .models import AuditEvent, OrgUnit, Role, User
from .phones import looks_like_phone, mask_phone, normalise_phone

Action = AuditEvent.Action


def masked_login(text: str) -> str:
    """What someone typed as their login, without a full phone number in the log."""
    text = (text or "").strip()[:50]
    if looks_like_phone(text):
        return mask_phone(normalise_phone(text))
    return text


@receiver(user_logged_in)
def logged_in(sender, request, user, **kwargs):
    record(user, Action.LOGIN, user.get_username(), request=request)


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, Action.LOGOUT, user.get_username(), request=request)


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    typed = next(
        (credentials[key] for key in ("phone", "username", "login") if credentials.get(key)), ""
    )
    record(None, Action.LOGIN_FAILED, masked_login(str(typed)), request=request)


@receiver(mfa_signals.authentication_failed)
def second_factor_failed(sender, user, request=None, **kwargs):
    record(None, Action.LOGIN_FAILED, f"{user.get_username()} · TOTP", request=request)


@receiver(mfa_signals.authenticator_added)
@receiver(mfa_signals.authenticator_removed)
@receiver(mfa_signals.authenticator_reset)
def authenticator_changed(sender, request=None, user=None, authenticator=None, **kwargs):
    signal = kwargs["signal"]
    verb = {
        mfa_signals.authenticator_added: "+",
        mfa_signals.authenticator_removed: "−",
        mfa_signals.authenticator_reset: "↻",
    }[signal]
    kind = authenticator.type if authenticator is not None else ""
    record(None, Action.MFA_CHANGE, f"{user.get_username()} {verb}{kind}", request=request)


@receiver(pre_save, sender=User)
def remember_what_changes(sender, instance, update_fields=None, **kwargs):
    """Note a new password or superuser flag before saving; post_save records it."""
    instance._audit_changes = []
    if instance.pk is None:
        return
    watched = {"password", "is_superuser"}
    if update_fields is not None and not watched & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_superuser").first()
    if before is None:
        return
    if before["password"] != instance.password:
        instance._audit_changes.append((Action.PASSWORD_CHANGE, instance.get_username()))
    if before["is_superuser"] != instance.is_superuser:
        sign = "+" if instance.is_superuser else "−"
        instance._audit_changes.append((Action.DUTY_CHANGE, f"{instance} {sign}superuser"))


@receiver(post_save, sender=User)
def record_what_changed(sender, instance, **kwargs):
    for action, what in getattr(instance, "_audit_changes", ()):
        record(None, action, what)
    instance._audit_changes = []


# A worker's role grants nothing beyond their own learning, and comes in thousands with each
# roster import (audited as the import); roles that carry powers are recorded one by one.
def _carries_powers(role: Role) -> bool:
    return role.kind != Role.Kind.WORKER


def _describe(role: Role) -> str:
    return f"{role.user.get_username()} · {role.unit} · {role.get_kind_display()}"


@receiver(post_save, sender=Role)
def role_granted(sender, instance, created, **kwargs):
    if created and _carries_powers(instance):
        record(None, Action.ROLE_GRANT, _describe(instance))


@receiver(post_delete, sender=Role)
def role_revoked(sender, instance, **kwargs):
    if _carries_powers(instance):
        record(None, Action.ROLE_REVOKE, _describe(instance))


def _is_duty(group: Group) -> bool:
    # Groups named "<unit code>:<kind>" follow roles (people/signals.py) and are recorded as
    # role changes; every other group is an administrator duty given by hand.
    return not OrgUnit.is_role_group(group)


@receiver(m2m_changed, sender=User.groups.through)
def duties_changed(sender, instance, action, pk_set, reverse, **kwargs):
    if reverse or action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        groups = list(instance.groups.all())
    else:
        groups = list(Group.objects.filter(pk__in=pk_set or ()))
    sign = "+" if action == "post_add" else "−"
    for group in groups:
        if _is_duty(group):
            record(None, Action.DUTY_CHANGE, f"{instance} {sign}{group.name}")
