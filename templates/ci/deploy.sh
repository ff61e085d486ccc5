#!/bin/sh
# Deploy one environment: the chart with the environment's values and the image built from
# this commit.
#   ci/deploy.sh <env> <image-tag>
# IMAGE_REGISTRY (ECR registry host) and WORKLOAD_ROLE_ARN (Terraform output) come from CI.
# HELM_TIMEOUT (default 10m) bounds the wait for healthy pods.
#
# rolling: `helm upgrade --atomic`: a release whose pods do not become ready is rolled back
# by Helm itself. canary / blue_green: Argo Rollouts moves traffic and runs the SLO
# analysis; the script waits for it and aborts the Rollout if it fails.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 2 ] || die "usage: $0 <env> <image-tag>"
env=$1
tag=$2
require_env "$env"
require_tool helm
[ "$tag" != latest ] || die "refusing to deploy the tag 'latest': deploy an immutable tag"

set -- upgrade --install "$SERVICE" "$CHART_DIR" \
  --namespace "$NAMESPACE" --create-namespace \
  --values "$CHART_DIR/values-$env.yaml" \
  --set-string "image.tag=$tag" \
  --wait --timeout "${HELM_TIMEOUT:-10m}"
if [ -n "${IMAGE_REGISTRY:-}" ]; then
  set -- "$@" --set-string "image.registry=$IMAGE_REGISTRY"
fi
if [ -n "${WORKLOAD_ROLE_ARN:-}" ]; then
  set -- "$@" --set-string "serviceAccount.roleArn=$WORKLOAD_ROLE_ARN"
fi

if [ "$DEPLOY_STRATEGY" = rolling ]; then
  helm "$@" --atomic
  exit 0
fi

# A Rollout: Helm applies the new spec, Argo Rollouts does the release.
helm "$@"
require_tool kubectl
if ! kubectl argo rollouts status "$SERVICE" --namespace "$NAMESPACE" \
  --timeout "${ROLLOUT_TIMEOUT:-30m}"; then
  log "the rollout of $tag did not complete: aborting, traffic stays on the stable version"
  kubectl argo rollouts abort "$SERVICE" --namespace "$NAMESPACE"
  exit 1
fi
