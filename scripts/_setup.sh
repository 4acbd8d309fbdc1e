# Shared by scripts/demo and scripts/test: a virtualenv in .venv with the project and its pinned dependencies.
# Re-installs only when pyproject.toml or constraints.txt changed.

die() { echo "error: $*" >&2; exit 1; }

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || die "python3 (3.11 or newer) is needed and was not found"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1)"

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv" >&2
    "$PYTHON" -m venv .venv || die "could not create a virtualenv (Debian: apt-get install python3-venv)"
fi
stamp=.venv/.hotline-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "setup: installing dependencies into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >&2 || die "pip could not upgrade itself"
    .venv/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]' >&2 || die "pip install failed"
    echo "$wanted" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
