"""Which ``.env`` files the settings are read from.

Reading ``.env`` from the current directory alone meant a command run from another directory
(cron, a service manager, an operator's ``cd``) silently lost its token and database. So the
settings come from, lowest priority first:

1. ``.env`` in the per-user config directory (``platformdirs``): ``~/.config/guildhall/.env``
   on Linux, ``~/Library/Application Support/guildhall/.env`` on macOS,
   ``%LOCALAPPDATA%\\guildhall\\.env`` on Windows: the same from every directory;
2. ``.env`` in the current directory, which wins over the first (a checkout's own settings);

or, when ``GUILDHALL_ENV_FILE`` names a file, from that file alone. Real environment
variables win over every file (pydantic-settings' order).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path

#: The environment variable naming the one settings file to read instead of the usual two.
ENV_FILE_VARIABLE = "GUILDHALL_ENV_FILE"
ENV_FILE_NAME = ".env"


class EnvFileError(ValueError):
    """A settings file cannot be used; the message names it."""


def user_env_file() -> Path:
    """``.env`` in the per-user config directory (whether or not it exists)."""
    return user_config_path("guildhall", appauthor=False) / ENV_FILE_NAME


def explicit_env_file() -> Path | None:
    """The file ``GUILDHALL_ENV_FILE`` names, made absolute; None when it is unset or empty."""
    value = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    return Path(value).expanduser().absolute() if value else None


def env_file_candidates() -> tuple[Path, ...]:
    """Where settings files are looked for, lowest priority first (absolute paths)."""
    explicit = explicit_env_file()
    if explicit is not None:
        return (explicit,)
    user_file = user_env_file()
    here = Path(ENV_FILE_NAME).absolute()
    if here.resolve() == user_file.resolve():  # run from the config directory itself
        return (here,)
    return (user_file, here)


def env_files_to_read() -> tuple[Path, ...]:
    """The candidates that exist, lowest priority first; raises :class:`EnvFileError`.

    A missing ``GUILDHALL_ENV_FILE`` is an error (the operator asked for that file); a missing
    usual file is not. A file that cannot be read or is not UTF-8 is an error naming it, rather
    than a traceback from deep inside the settings library.
    """
    explicit = explicit_env_file()
    if explicit is not None and not (explicit.is_file() or explicit.is_fifo()):
        what = "is not a file" if explicit.exists() else "does not exist"
        raise EnvFileError(f"{ENV_FILE_VARIABLE}={explicit} {what}")
    found = []
    for path in env_file_candidates():
        if path.is_fifo():
            found.append(path)  # a pipe can be read once: checking it here would empty it
        elif path.is_file():
            _check_readable(path)
            found.append(path)
    return tuple(found)


def _check_readable(path: Path) -> None:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(f"settings file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise EnvFileError(f"cannot read settings file {path}: {exc.strerror or exc}") from None


def describe_env_files(files: tuple[Path, ...]) -> str:
    """One line saying which settings files were read (for start-up and ``doctor``)."""
    if files:
        order = " (the later wins; the environment wins over both)" if len(files) > 1 else ""
        return "settings read from " + ", ".join(str(f) for f in files) + order
    looked = " or ".join(str(f) for f in env_file_candidates())
    return f"no settings file read (environment only); looked for {looked}"
