#!/usr/bin/env python
"""Runs Django's manage commands for the compat project (run it with a compat_test/.venvs python)."""
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproject.settings")
    (Path(__file__).resolve().parent.parent / ".cache").mkdir(exist_ok=True)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
