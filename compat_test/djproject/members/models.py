import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Member(AbstractUser):
    """AUTH_USER_MODEL with a UUID pk and the email as the login name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]
