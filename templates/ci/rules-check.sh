#!/bin/sh
# The SLO rules: syntax (promtool check rules) and behaviour (promtool test rules: fast
# burns page, slow burns open tickets, healthy traffic stays quiet).
#   ci/rules-check.sh
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
require_tool promtool

for rules in observability/prometheus/*.yaml; do
  promtool check rules "$rules"
done
cd observability/prometheus/tests
for tests in *.yaml; do
  promtool test rules "$tests"
done
