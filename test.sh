#!/usr/bin/env bash
# The whole test suite (pytest), long end-to-end runs included, after the same set-up as train.sh
# plus the test dependencies (pytest, hypothesis, safetensors, torch==2.13.0 as an oracle).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$root/scripts/setup.sh" dev
cd "$root"
exec "$root/.venv/bin/python" -m pytest -q "$@"
