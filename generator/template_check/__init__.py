"""`paved template test`: the platform team's check of a template before a release."""
