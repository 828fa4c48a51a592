from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "djproject.members"
    label = "members"
    default_auto_field = "django.db.models.AutoField"
