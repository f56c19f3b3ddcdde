#!/usr/bin/env bash
# Runs every test. On first use it installs the real test peers:
#   - Python feedparser (PyPI) in .peers/venv, which checks the feeds Braid serves;
#   - xmllint (Debian's libxml2-utils), which checks that they are well-formed XML.
# Then: cargo test --workspace (extra arguments are passed on to cargo test).
# Under CI=true a missing peer fails its test instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.peers/venv
if ! "$venv/bin/python" -c 'import feedparser, jsonfeed, mastodon_mock, grapheme' 2>/dev/null; then
  echo "tests/run.sh: installing Python test peers into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi

if ! command -v xmllint >/dev/null 2>&1; then
  echo "tests/run.sh: installing xmllint (libxml2-utils)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq libxml2-utils >/dev/null
  else
    echo "tests/run.sh: please install libxml2-utils (xmllint); its tests will skip" >&2
  fi
fi

export BRAID_TEST_PYTHON="$PWD/$venv/bin/python"
exec cargo test --workspace "$@"
