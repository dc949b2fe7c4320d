# Sourced by scripts/app and scripts/test: make .venv (Python 3.11+) and install a
# requirements file into it, skipping pip when that file has not changed since last time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."  # the project root, also when sourced from elsewhere
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed, found " + sys.version' 
  "$PY" -m venv .venv
fi
req=$1
stamp=.venv/.installed-$(basename "$req")
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$req"
  cat requirements*.txt > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
