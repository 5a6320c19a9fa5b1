"""`python -m gradlab`: the same as the `gradlab` command."""

import sys

from .cli import main

sys.exit(main())
