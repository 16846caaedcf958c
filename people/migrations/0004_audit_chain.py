"""One append-only, hash-chained audit log (issue 10): new actions, who/where, the chain."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def chain_existing_entries(apps, schema_editor):
    # The historical model has a plain manager: updating here is allowed, once, to seal the past.
    from people.audit_chain import GENESIS, entry_hash

    AuditEvent = apps.get_model("people", "AuditEvent")
    AuditChain = apps.get_model("people", "AuditChain")
    User = apps.get_model("people", "User")
    names = dict(User.objects.values_list("pk", "username"))
    prev, length = GENESIS, 0
    for event in AuditEvent.objects.order_by("id"):
        event.actor_name = names.get(event.actor_id, "")
        fields = {
            "at": event.at,
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "action": event.action,
            "what": event.what,
            "scope": event.scope,
            "count": event.count,
            "address": event.address,
        }
        event.prev_hash = prev
        event.hash = prev = entry_hash(prev, fields)
        event.save(update_fields=["actor_name", "prev_hash", "hash"])
        length += 1
    AuditChain.objects.create(pk=1, length=length, head=prev)


def install_guard(apps, schema_editor):
    from people.audit import install_database_guard

    install_database_guard(schema_editor)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS people_audit_append_only ON people_auditevent;"
            "DROP FUNCTION IF EXISTS people_audit_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_hours_ledger_sessions_bases"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("length", models.PositiveBigIntegerField(default=0)),
                ("head", models.CharField(default="0" * 64, max_length=64)),
            ],
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "ordering": ["-id"],
                "permissions": [("export_auditevent", "Can export the audit log")],
                "verbose_name": "Audit event",
                "verbose_name_plural": "Audit events",
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="Who",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, verbose_name="When"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "Logged in"),
                    ("login_failed", "Failed to log in"),
                    ("locked_out", "Locked out after failed logins"),
                    ("logout", "Logged out"),
                    ("password_change", "Changed a password"),
                    ("mfa_change", "Changed two-factor authentication"),
                    ("role_grant", "Granted a role"),
                    ("role_revoke", "Revoked a role"),
                    ("duty_change", "Changed an administrator duty"),
                    ("unmask", "Viewed personal data in full"),
                    ("export", "Exported"),
                    ("import", "Imported a roster"),
                    ("transfer", "Transferred a worker"),
                    ("correct", "Corrected a record by hand"),
                    ("score_change", "Changed a score"),
                    ("result_release", "Released results"),
                    ("appeal_decision", "Decided an appeal"),
                    ("backup", "Backed up the site"),
                    ("restore", "Restored the site from a backup"),
                ],
                db_index=True,
                max_length=24,
                verbose_name="Action",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="scope",
            field=models.CharField(blank=True, max_length=500, verbose_name="Scope"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_name",
            field=models.CharField(blank=True, default="", max_length=150, verbose_name="Account"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="address",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="Address"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(install_guard, remove_guard),
    ]
