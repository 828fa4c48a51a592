"""Seeds the one user the harness logs in: pk 1, "alice" / "wonderland".

The password hash uses a fixed salt, so the stored hash (and therefore _auth_user_hash) is the
same on every run of a given Django version.
"""
from django.contrib.auth.hashers import make_password
from django.db import migrations

USERNAME = "alice"
PASSWORD = "wonderland"
SALT = "djangobridgesalt"


def seed(apps, schema_editor):
    from django.conf import settings

    if settings.AUTH_USER_MODEL != "auth.User":
        return  # a custom user model (DJANGOBRIDGE_AUTH_USER_MODEL): no auth_user table
    User = apps.get_model("auth", "User")
    User.objects.create(
        pk=1,
        username=USERNAME,
        email="alice@example.com",
        password=make_password(PASSWORD, salt=SALT),
        is_active=True,
    )


def unseed(apps, schema_editor):
    from django.conf import settings

    if settings.AUTH_USER_MODEL != "auth.User":
        return
    apps.get_model("auth", "User").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "__latest__")]
    operations = [migrations.RunPython(seed, unseed)]
