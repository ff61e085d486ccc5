#!/bin/sh
# Plan one environment against its real state (S3 backend, native locking), saving the
# plan for apply and a readable copy for the pull request.
#   ci/terraform-plan.sh <env>   ->  terraform/envs/<env>/plan.tfplan and plan.txt
# Needs AWS credentials for the environment (CI assumes its OIDC role first).
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || die "usage: $0 <env>"
env=$1
require_env "$env"
require_tool terraform
dir="terraform/envs/$env"

terraform -chdir="$dir" init -input=false -no-color >/dev/null
# -detailed-exitcode: 0 no changes, 2 changes; both are a successful plan.
status=0
terraform -chdir="$dir" plan -input=false -no-color -lock-timeout=5m \
  -detailed-exitcode -out=plan.tfplan >/dev/null || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 2 ] || die "terraform plan failed for $env"
terraform -chdir="$dir" show -no-color plan.tfplan >"$dir/plan.txt"
if [ "$status" -eq 0 ]; then
  log "$env: no changes"
else
  log "$env: changes planned, see $dir/plan.txt"
fi
