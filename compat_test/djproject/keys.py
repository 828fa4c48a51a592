"""The custom KEY_FUNCTION used by the ``keyfunc`` cache configuration (FORMAT.md)."""


def custom_key(key, key_prefix, version):
    """Return ``f"{version}|{key_prefix}|{key}"`` (Django passes key, prefix, version)."""
    return f"{version}|{key_prefix}|{key}"
