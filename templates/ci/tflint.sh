#!/bin/sh
# tflint over terraform/, where the repository configures it: a .tflint.hcl at the root
# turns it on (its rules and plugins, e.g. the AWS ruleset); without one this is a no-op.
#   ci/tflint.sh
# When tflint is not on PATH, the release TFLINT_VERSION is downloaded once into
# TFLINT_CACHE and checked against the release's published checksums before it runs.
# GITHUB_TOKEN, when set, raises the rate limit of `tflint --init` plugin downloads.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

TFLINT_VERSION=${TFLINT_VERSION:-v0.60.0}
TFLINT_CACHE=${TFLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tflint/$TFLINT_VERSION}
config="$(pwd)/.tflint.hcl"

if [ ! -f "$config" ]; then
  log "tflint: skipped, no .tflint.hcl in the repository root (add one to turn tflint on)"
  exit 0
fi

# download URL FILE: curl where it exists, else wget (BusyBox has it).
download() {
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

install_tflint() {
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "tflint: no release for $(uname -m)" ;;
  esac
  archive=tflint_linux_$arch.zip
  release=${TFLINT_RELEASE_URL:-https://github.com/terraform-linters/tflint/releases/download/$TFLINT_VERSION}
  workdir=$(mktemp -d)
  log "tflint: installing $TFLINT_VERSION into $TFLINT_CACHE"
  download "$release/$archive" "$workdir/$archive"
  download "$release/checksums.txt" "$workdir/checksums.txt"
  (cd "$workdir" && awk -v f="$archive" '$2 == f' checksums.txt | sha256sum -c -)
  mkdir -p "$TFLINT_CACHE"
  unzip -o -q "$workdir/$archive" tflint -d "$TFLINT_CACHE"
  chmod 0755 "$TFLINT_CACHE/tflint"
  rm -rf "$workdir"
}

if ! command -v tflint >/dev/null 2>&1; then
  [ -x "$TFLINT_CACHE/tflint" ] || install_tflint
  PATH="$TFLINT_CACHE:$PATH"
fi

tflint --version
log "tflint --init (plugins of .tflint.hcl)"
tflint --init --config="$config"
log "tflint (terraform/, every module)"
cd terraform
tflint --recursive --config="$config" --format=compact
