"""``python -m app.backoffice``: the same as ``hubcheck-backoffice``."""

import sys

from app.backoffice.cli import main

sys.exit(main())
