#!/bin/sh
# Static checks of one environment's Terraform, without cloud credentials:
# fmt, init without backend, validate, and the service module's tests (mock providers).
#   ci/terraform-check.sh <env>
# TF_PLUGIN_DIR, when set, is a provider mirror for offline init.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || die "usage: $0 <env>"
env=$1
require_env "$env"
require_tool terraform

set -- -input=false -no-color
if [ -n "${TF_PLUGIN_DIR:-}" ]; then
  set -- "$@" "-plugin-dir=$TF_PLUGIN_DIR"
fi

log "terraform fmt -check (terraform/)"
terraform fmt -check -recursive terraform

log "terraform validate (terraform/envs/$env)"
terraform -chdir="terraform/envs/$env" init -backend=false "$@" >/dev/null
terraform -chdir="terraform/envs/$env" validate -no-color

log "terraform test (terraform/modules/service)"
terraform -chdir=terraform/modules/service init -backend=false "$@" >/dev/null
terraform -chdir=terraform/modules/service test -no-color
