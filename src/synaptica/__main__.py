"""``python -m synaptica ...`` runs the command line, as the ``synaptica`` script does."""

import sys

from synaptica.cli import main

sys.exit(main())
