#!/bin/sh
# Production readiness of this repository as it stands: `paved readiness`, failing below
# READINESS_MIN_SCORE or when a required check fails.
#   ci/readiness.sh                      run it
#   ci/readiness.sh --print-requirement  print the toolkit it installs, and stop
# The toolkit is the one of the template version this repository is at: source and commit
# come from .copier-answers.yml, so `copier update` moves the checks and the files together.
# PAVED_TOOLKIT overrides the pip requirement (e.g. a mirror); PAVED names an installed
# `paved` to use instead of installing one.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

answers=.copier-answers.yml
[ -f "$answers" ] || die "$answers not found: run from the repository root"

# answer KEY: a top-level scalar of the answers file, without quotes.
answer() {
  sed -n "s/^$1: *//p" "$answers" | sed "s/^[\"']//; s/[\"']\$//" | head -n 1
}

requirement() {
  if [ -n "${PAVED_TOOLKIT:-}" ]; then
    printf '%s\n' "$PAVED_TOOLKIT"
    return
  fi
  src=$(answer _src_path)
  commit=$(answer _commit)
  if [ -z "$src" ] || [ -z "$commit" ]; then
    die "$answers has no _src_path/_commit: set PAVED_TOOLKIT"
  fi
  case $src in
    gh:*) url=https://github.com/${src#gh:} ;;
    gl:*) url=https://gitlab.com/${src#gl:} ;;
    git+*) url=${src#git+} ;;
    https://* | ssh://* | git@*) url=$src ;;
    *) die "the template source '$src' is a local path: set PAVED_TOOLKIT to a pip requirement" ;;
  esac
  # `git describe` form (v1.2.0-3-gabc1234): the commit is the part after -g.
  case $commit in
    *-g[0-9a-f]*) commit=${commit##*-g} ;;
  esac
  printf 'paved-road @ git+%s@%s\n' "$url" "$commit"
}

if [ "${1:-}" = "--print-requirement" ]; then
  requirement
  exit 0
fi

if [ -z "${PAVED:-}" ]; then
  spec=$(requirement)
  venv=$(mktemp -d)
  log "installing $spec"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
  PAVED="$venv/bin/paved"
fi

log "paved readiness (minimum score $READINESS_MIN_SCORE)"
"$PAVED" readiness . --min-score "$READINESS_MIN_SCORE"
