#!/usr/bin/env bash
# Python confluent-kafka (librdkafka + its schema-registry Avro serde), installed from PyPI
# once into a cache OUTSIDE the repo, for the interop test against another Confluent-format
# client. The install is keyed by a hash of scripts/pyinterop/requirements.txt, so a changed
# pin installs afresh and an unchanged one costs nothing.
#
#   scripts/pyinterop.sh path    install if needed; print the directory to put on PYTHONPATH
#
# $SLUICE_PYINTEROP_HOME: the cache (default ~/.cache/sluice/pyinterop). Needs python3 ≥ 3.8 and pip.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
req=$repo/scripts/pyinterop/requirements.txt
home=${SLUICE_PYINTEROP_HOME:-$HOME/.cache/sluice/pyinterop}
py=$(python3 -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
key=$(sha256sum "$req" | cut -c1-12)
site=$home/site-$py-$key

case "${1:-}" in
  path)
    if [ ! -f "$site/.complete" ]; then
      mkdir -p "$home"
      # Two test runs must not pip into one directory at once.
      exec 9>"$home/.install.lock"
      flock 9
      if [ ! -f "$site/.complete" ]; then
        echo "pyinterop: installing $(grep -v '^#' "$req" | xargs) into $site" >&2
        rm -rf "$site.tmp"
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$site.tmp" -r "$req" >&2
        rm -rf "$site"
        mv "$site.tmp" "$site"
        touch "$site/.complete"
      fi
    fi
    echo "$site"
    ;;
  *)
    echo "usage: $0 path" >&2
    exit 2
    ;;
esac
