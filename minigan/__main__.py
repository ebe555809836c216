"""``python -m minigan`` runs the command line (same as the ``minigan`` console script)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
