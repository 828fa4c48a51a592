"""A custom user model for the live users test: UUID primary key, email as USERNAME_FIELD.

Installed only when DJANGOBRIDGE_AUTH_USER_MODEL=members.Member (settings.py), so that the
default project keeps auth.User.
"""
