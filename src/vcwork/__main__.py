"""``python -m vcwork`` runs the command line."""

from .cli import main

main()
