"""Run one benchmark module of this package: ``python -m bench <name> [options]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def _names() -> list[str]:
    modules = pkgutil.iter_modules(bench.__path__)
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def main() -> int:
    """Dispatch to ``bench.<name>.main(argv)``."""
    if len(sys.argv) < 2 or sys.argv[1] not in _names():
        print(f"usage: python -m bench {{{','.join(_names())}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{sys.argv[1]}")
    return int(module.main(sys.argv[2:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
