# Shared by the scripts: find uv, or install it (from PyPI) into .tools/ once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then
    UV="$(command -v uv)"
    return
  fi
  if [ ! -x "$ROOT/.tools/uv/bin/uv" ]; then
    echo "installing uv into .tools/ ..." >&2
    python3 -m venv "$ROOT/.tools/uv"
    "$ROOT/.tools/uv/bin/python" -m pip install --quiet "uv>=0.13,<0.14"
  fi
  UV="$ROOT/.tools/uv/bin/uv"
}
