"""The readers the readiness checks share: the repository and its files (``repo``), its
Terraform evaluated as Terraform would (``terraform``), its CI jobs (``ci``), its Markdown as
rendered (``markdown``), its environment protection (``protection``), the chart, rules and
prod root as the checks see them, and where everything lives (``paths``)."""
