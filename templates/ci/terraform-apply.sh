#!/bin/sh
# Apply one environment: the plan saved by terraform-plan.sh when it is there (what was
# reviewed is what is applied), otherwise a fresh plan.
#   ci/terraform-apply.sh <env>
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || die "usage: $0 <env>"
env=$1
require_env "$env"
require_tool terraform
dir="terraform/envs/$env"

terraform -chdir="$dir" init -input=false -no-color >/dev/null
if [ -f "$dir/plan.tfplan" ]; then
  terraform -chdir="$dir" apply -input=false -no-color -lock-timeout=5m plan.tfplan
else
  terraform -chdir="$dir" apply -input=false -no-color -lock-timeout=5m -auto-approve
fi
