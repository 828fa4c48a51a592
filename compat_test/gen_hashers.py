"""Password-hasher vectors from a real Django: auth/testdata/hashers/django-<id>.json.

Run with each venv's python (compat_test/gen_hashers.sh runs all of them). For every hasher the
version has, it encodes passwords with fixed salts through Django's own hasher classes and
records what check_password says (with a setter, so "Django would upgrade this hash" is
observed, not computed) under the version's default PASSWORD_HASHERS plus the legacy hashers it
still ships. Cheap parameters (few iterations, small memory) keep the Go tests fast; one hash
per version uses the version's real defaults. Output is byte-identical from run to run (bcrypt
and argon2 are given their salts).
"""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproject.settings")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import warnings  # noqa: E402

warnings.simplefilter("ignore")  # SHA1/unsalted hashers are deprecated in 4.2

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()

from django.contrib.auth import hashers  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

DJANGO = "%d.%d" % django.VERSION[:2]
H = "django.contrib.auth.hashers."
LEGACY = [n for n in ("SHA1PasswordHasher", "MD5PasswordHasher", "UnsaltedSHA1PasswordHasher",
                      "UnsaltedMD5PasswordHasher") if hasattr(hashers, n)]
PASSWORDS = ["wonderland", "", "pässwörd €", "x" * 100]
SALT = "djangobridgesalt012345"  # 22 chars: 128 bits, as Django's salt()
SHORT_SALT = "shortsalt"  # fewer than 128 bits: must_update_salt
BCRYPT_SALT = b"$2b$%02d$abcdefghijklmnopqrstuu"


def cls(name):
    return getattr(hashers, name)


def sub(name, **attrs):
    """An instance of the hasher class with cheaper parameters (the encoded hash carries them)."""
    return type("Cheap" + name, (cls(name),), attrs)()


def verdict(password, encoded):
    """check_password's answer and whether it called the setter (Django's "upgrade this")."""
    calls = []
    ok = hashers.check_password(password, encoded, setter=calls.append)
    return ok, bool(calls)


def vector(hasher, password, salt, note, params=None):
    encoded = hasher.encode(password, salt)  # bcrypt takes a bytes salt (3.2 does no force_bytes)
    if isinstance(salt, bytes):
        salt = salt.decode()
    ok, upgrade = verdict(password, encoded)
    wrong, _ = verdict(password + "!", encoded)
    return {
        "algorithm": hasher.algorithm,
        "params": params or {},
        "password": password,
        "salt": salt,
        "encoded": encoded,
        "check": ok,
        "check_wrong": wrong,
        "must_update": upgrade,
        "note": note,
    }


def main(out_dir):
    defaults = list(settings.PASSWORD_HASHERS)
    default_algorithms = [h.algorithm for h in hashers.get_hashers()]
    with override_settings(PASSWORD_HASHERS=defaults + [H + "BCryptPasswordHasher"] + [H + n for n in LEGACY]):
        pbkdf2 = cls("PBKDF2PasswordHasher")
        vectors = []
        for pw in PASSWORDS:
            for name in ("PBKDF2PasswordHasher", "PBKDF2SHA1PasswordHasher"):
                h = cls(name)()
                enc = h.encode(pw, SALT, 1000)
                ok, upgrade = verdict(pw, enc)
                vectors.append({"algorithm": h.algorithm, "params": {"iterations": 1000}, "password": pw,
                                "salt": SALT, "encoded": enc, "check": ok,
                                "check_wrong": verdict(pw + "!", enc)[0], "must_update": upgrade,
                                "note": "fewer iterations than the default"})
            a2 = sub("Argon2PasswordHasher", time_cost=1, memory_cost=64, parallelism=1)
            vectors.append(vector(a2, pw, SALT, "cheaper argon2 parameters",
                                  {"time_cost": 1, "memory_cost": 64, "parallelism": 1}))
            for name in ("BCryptSHA256PasswordHasher", "BCryptPasswordHasher"):
                b = sub(name, rounds=4)
                vectors.append(vector(b, pw, BCRYPT_SALT % 4, "4 rounds", {"rounds": 4}))
            if hasattr(hashers, "ScryptPasswordHasher"):
                s = cls("ScryptPasswordHasher")()
                enc = s.encode(pw, SALT, n=16, r=8, p=1)
                ok, upgrade = verdict(pw, enc)
                vectors.append({"algorithm": "scrypt", "params": {"work_factor": 16, "block_size": 8, "parallelism": 1},
                                "password": pw, "salt": SALT, "encoded": enc, "check": ok,
                                "check_wrong": verdict(pw + "!", enc)[0], "must_update": upgrade,
                                "note": "cheaper scrypt parameters"})
            for name in LEGACY:
                h = cls(name)()
                salt = "" if name.startswith("Unsalted") else SALT
                vectors.append(vector(h, pw, salt, "legacy hasher"))
        # The defaults of this version: the first hasher makes, the others must not update.
        pw = PASSWORDS[0]
        vectors.append(vector(pbkdf2(), pw, SALT, "the version's default hasher and iterations",
                              {"iterations": pbkdf2.iterations}))
        vectors.append(vector(pbkdf2(), pw, SHORT_SALT, "default iterations, salt under 128 bits",
                              {"iterations": pbkdf2.iterations}))
        # Parameter checks only (no verify in Go: too slow for unit tests); Django's answers.
        a2 = cls("Argon2PasswordHasher")()
        b2 = cls("BCryptSHA256PasswordHasher")()
        must = []
        for enc, note in [
            (a2.encode(pw, SALT), "argon2 with the version's parameters"),
            (a2.encode(pw, SHORT_SALT), "argon2, salt under 128 bits"),
            (b2.encode(pw, BCRYPT_SALT % b2.rounds), "bcrypt_sha256 with the version's rounds"),
        ] + ([(cls("ScryptPasswordHasher")().encode(pw, SALT), "scrypt with the version's parameters")]
             if hasattr(hashers, "ScryptPasswordHasher") else []):
            algo = hashers.identify_hasher(enc).algorithm
            must.append({"encoded": enc, "note": note, "algorithm": algo,
                         "must_update": hashers.get_hasher(algo).must_update(enc)})
        # check_password's answers for hashes no hasher can check.
        odd = []
        for enc in ["!" + "x" * 40, "!", "", "unknown$1$salt$hash", "crypt$$abN0ZSb5pzgQ.",
                    "pbkdf2_sha256$1000$" + SALT + "$AAAA", "argon2$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"]:
            try:
                ok, upgrade = verdict("wonderland", enc)
                odd.append({"encoded": enc, "check": ok, "must_update": upgrade, "error": None})
            except Exception as e:  # noqa: BLE001
                odd.append({"encoded": enc, "check": False, "must_update": False, "error": type(e).__name__})
    data = {
        "django": DJANGO,
        "django_version": django.get_version(),
        "password_hashers": default_algorithms,
        "legacy_hashers": [cls(n).algorithm for n in LEGACY],
        "pbkdf2_iterations": pbkdf2.iterations,
        "argon2": {"time_cost": a2.time_cost, "memory_cost": a2.memory_cost, "parallelism": a2.parallelism},
        "bcrypt_rounds": b2.rounds,
        "scrypt": ({"work_factor": cls("ScryptPasswordHasher").work_factor,
                    "block_size": cls("ScryptPasswordHasher").block_size,
                    "parallelism": cls("ScryptPasswordHasher").parallelism}
                   if hasattr(hashers, "ScryptPasswordHasher") else None),
        "vectors": vectors,
        "must_update": must,
        "odd": odd,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "django-%s.json" % DJANGO), "w") as f:
        json.dump(data, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
