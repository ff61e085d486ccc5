#!/bin/sh
# Roll one environment back: to the previous release, or to REVISION.
#   ci/rollback.sh <env> [revision]
# canary / blue_green: an update still in progress is aborted first (traffic returns to the
# stable version at once); the Helm rollback then makes the old spec the desired state, so
# the next reconcile cannot undo the rollback.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  die "usage: $0 <env> [revision]"
fi
env=$1
revision=${2:-}
require_env "$env"
require_tool helm
case "$revision" in
  '' | *[!0-9]*) [ -z "$revision" ] || die "revision must be a number (helm history $SERVICE -n $NAMESPACE)" ;;
esac

if [ "$DEPLOY_STRATEGY" != rolling ]; then
  require_tool kubectl
  kubectl argo rollouts abort "$SERVICE" --namespace "$NAMESPACE" || true
fi

# Without a revision, Helm goes back to the previous one.
set -- rollback "$SERVICE"
if [ -n "$revision" ]; then
  set -- "$@" "$revision"
fi
helm "$@" --namespace "$NAMESPACE" --wait --timeout "${HELM_TIMEOUT:-10m}"
log "$SERVICE in $env rolled back${revision:+ to revision $revision}"
