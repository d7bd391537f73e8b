#!/usr/bin/env bash
# Installs what Torikomi needs on Debian 12 (system libraries, OCR language
# data) and fetches the runtime files listed in models/manifest.toml.
# Needs the Rust toolchain (rustup) already; runs apt through sudo unless root.
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential pkg-config clang libclang-dev   # bindgen for the tesseract and llama.cpp bindings
  cmake                                             # llama-cpp-sys builds llama.cpp from source
  libtesseract-dev libleptonica-dev                 # OCR engine, linked from the system
  tesseract-ocr-jpn tesseract-ocr-jpn-vert tesseract-ocr-osd
  python3 python3-pip                               # models/fetch.py downloads wheels with pip
  libxml2-utils                                     # xmllint: the tests validate MML against its schemas
  python3-venv                                      # the model server's environment below
  libwebkit2gtk-4.1-dev                             # the desktop app's web view (Tauri 2)
  fonts-noto-cjk                                    # Japanese glyphs for the UI; a fresh Debian has none
  xvfb xauth webkit2gtk-driver                      # the app's window tests: a virtual display, WebDriver
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 models/fetch.py

# An OpenAI-compatible model server (llama_cpp.server from PyPI), for
# `--model-server` and its tests. It builds llama.cpp from source the first
# time (minutes); the wheel is kept in the cache and reused after that.
server_venv=models/runtime/model-server
server_package="llama-cpp-python[server]==0.3.16"
if ! "$server_venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  wheels="${TORIKOMI_CACHE:-$HOME/.cache/torikomi}/wheels"
  python3 -m venv "$server_venv"
  "$server_venv/bin/pip" wheel --quiet --find-links "$wheels" --wheel-dir "$wheels" "$server_package"
  "$server_venv/bin/pip" install --quiet --no-index --find-links "$wheels" "$server_package"
fi

# The desktop app's front end (Vite, TypeScript), built into ui/dist, which
# the app embeds. Needs Node.js 20 or newer (the machine's own).
if ! command -v npm >/dev/null; then
  echo "setup.sh: npm (Node.js 20 or newer) is needed for the desktop app's UI" >&2
  exit 1
fi
# `install --no-save`, not `ci`: the lock holds only the platform packages
# the registry here serves (Linux), which `npm ci` takes for a stale lock.
npm --prefix ui install --no-save --no-audit --no-fund --loglevel=error
npm --prefix ui run build --silent

# tauri-driver drives the app's window for the end-to-end test; built once
# into the cache (about three minutes), like the wheels above.
tools="${TORIKOMI_CACHE:-$HOME/.cache/torikomi}/tools"
if [ ! -x "$tools/bin/tauri-driver" ]; then
  cargo install --quiet --locked --root "$tools" tauri-driver --version 2.1.0
fi
