"""``guildhall doctor``: which ``.env`` files the settings came from (app/env_files.py).

A token or database that "vanished" when a command ran from another directory is the
symptom this answers; the finding is informational, since reading no file is legitimate
(everything may come from the environment, as in a container).
"""

from __future__ import annotations

from app.cli._findings import Finding
from app.env_files import describe_env_files, env_files_to_read


def env_files_finding() -> Finding:
    """The settings files read, in priority order, or where they were looked for."""
    return Finding("settings", "info", describe_env_files(env_files_to_read()))
