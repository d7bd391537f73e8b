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
