"""三员分立: the security and audit administrator duties as groups with their permissions.

The system administrator is the superuser. A snapshot of people/duties.py's groups: later
changes to the duties come as new migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DUTIES = {
    # Audit administrator: reads and exports the audit log, nothing else.
    "审计管理员": [
        ("wagtailadmin", "access_admin"),
        ("people", "view_auditevent"),
        ("people", "export_auditevent"),
    ],
    # Security administrator: accounts, roles (granting and revoking), groups and duties.
    "安全管理员": [
        ("wagtailadmin", "access_admin"),
        ("people", "view_user"),
        ("people", "add_user"),
        ("people", "change_user"),
        ("people", "view_role"),
        ("people", "add_role"),
        ("people", "change_role"),
        ("people", "delete_role"),
        ("auth", "view_group"),
        ("auth", "add_group"),
        ("auth", "change_group"),
    ],
}


def make_duty_groups(apps, schema_editor):
    # Permissions are made after migrating; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in DUTIES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in permissions
            ]
        )


def remove_duty_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=DUTIES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_audit_chain"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        # After Wagtail's migrations that hand "choose" permissions to every admin group.
        ("wagtaildocs", "0011_add_choose_permissions"),
        ("wagtailimages", "0023_add_choose_permissions"),
    ]

    operations = [migrations.RunPython(make_duty_groups, remove_duty_groups)]
