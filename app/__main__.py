"""``python -m app`` is the ``guildhall`` command."""

from app.cli import main

main()
