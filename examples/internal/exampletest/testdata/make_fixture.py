"""Make django-5.2.sqlite3 and django-5.2.json: a startproject Django's database with a logged-in session.

Run it with a Django 5.2 virtualenv's Python, from any directory:

    /path/to/venv/bin/python make_fixture.py

It configures Django with the settings `django-admin startproject` writes (the db session engine
on SQLite, CSRF in the csrftoken cookie), except for a fixed test SECRET_KEY, runs `migrate`,
creates the superuser alice, logs her in with the test client (Django's own login(), which writes
the django_session row) and writes, beside this script, the database and a JSON file with what the
Go test needs: the session cookie, the user's id, the Django version and the SECRET_KEY.
"""
import json
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# A test-only key: the sessions in the fixture are signed with it and nothing else is.
SECRET_KEY = "django-insecure-djangobridge-examples-test-key-not-for-production"


def main():
    import django
    from django.conf import settings

    tmp = tempfile.mkdtemp(prefix="djangobridge-examples-")
    db_path = os.path.join(tmp, "db.sqlite3")
    # startproject's settings.py (Django 5.2), minus what a headless run does not use.
    settings.configure(
        SECRET_KEY=SECRET_KEY,
        DEBUG=True,
        ALLOWED_HOSTS=[],
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        ROOT_URLCONF=__name__,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ],
                },
            },
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        LANGUAGE_CODE="en-us",
        TIME_ZONE="UTC",
        USE_I18N=True,
        USE_TZ=True,
        STATIC_URL="static/",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_superuser("alice", "alice@example.com", "correct horse battery staple")
    client = Client()
    if not client.login(username="alice", password="correct horse battery staple"):
        sys.exit("make_fixture.py: the test client could not log alice in")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    con = sqlite3.connect(db_path)
    con.execute("VACUUM")
    con.close()
    name = "django-%d.%d" % django.VERSION[:2]
    with open(db_path, "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, name + ".sqlite3"), "wb") as f:
        f.write(data)
    info = {
        "django_version": "%d.%d" % django.VERSION[:2],
        "django": django.get_version(),
        "secret_key": SECRET_KEY,
        "session_cookie": cookie,
        "user_id": str(user.pk),
    }
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write("\n")
    os.remove(db_path)
    os.rmdir(tmp)
    print("make_fixture.py: wrote %s.sqlite3 (%d bytes) and %s.json" % (name, len(data), name))


urlpatterns = []

if __name__ == "__main__":
    main()
