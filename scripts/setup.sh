#!/usr/bin/env bash
# Set-up shared by train.sh and test.sh: Debian's Fashion-MNIST (and valgrind for the tests), a virtual environment in .venv,
# and synaptica installed into it with the extras named in $1 (e.g. "all" or "dev").
# Safe to run again: each step is skipped when already done.
set -euo pipefail
extras="${1:-all}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages: the data (Fashion-MNIST, the KJV text), and for the tests (dev) valgrind, which bench/step_instructions.py uses, and
# chromium, the browser Playwright drives in the web page's tests (tests/serve/test_browser.py)
packages=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || packages+=(dataset-fashion-mnist)
if [ "$extras" = "dev" ] && ! command -v valgrind >/dev/null; then packages+=(valgrind); fi
if [ "$extras" = "dev" ] && [ ! -x /usr/bin/chromium ]; then packages+=(chromium); fi
# the King James Bible for the character language model (its `bible` program prints the text)
command -v bible >/dev/null || packages+=(bible-kjv)
if [ "${#packages[@]}" -gt 0 ]; then
  echo "setup: installing Debian's ${packages[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${packages[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x "$root/.venv/bin/python" ]; then
  echo "setup: creating $root/.venv" >&2
  "$python" -m venv "$root/.venv"
fi
stamp="$root/.venv/.synaptica-$extras-$(cat "$root/pyproject.toml" | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing synaptica[$extras] into .venv" >&2
  "$root/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root[$extras]"
  touch "$stamp"
fi
