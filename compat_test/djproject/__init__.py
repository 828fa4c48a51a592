"""Minimal Django project used by the djangobridge compatibility harness (compat_test/)."""
