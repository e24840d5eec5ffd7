"""``python -m simulation`` is the ``rtsim`` command."""

import sys

from .cli import main

sys.exit(main())
