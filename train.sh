#!/usr/bin/env bash
# The main job: set everything up, then train a network on Fashion-MNIST and report its accuracy.
# Any arguments go to `synaptica train` (see `synaptica train --help`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$root/scripts/setup.sh" all
exec "$root/.venv/bin/synaptica" train "$@"
