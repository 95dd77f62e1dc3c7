"""`python -m stisync` runs the command line."""

import sys

from stisync.cli import main

sys.exit(main())
