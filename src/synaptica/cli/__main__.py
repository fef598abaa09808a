"""``python -m synaptica.cli``: the same as the ``synaptica`` command."""

import sys

from synaptica.cli import main

sys.exit(main())
