terraform {
  # 1.10+ is needed for cross-variable references inside validation blocks
  # (the datastore-dependent network checks) and for mock providers in tests.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100 is the oldest release exercised by the tests; 6.x is allowed so the
      # env roots can upgrade without forking the module.
      version = ">= 5.100, < 7.0"
      # aws.dr points at the disaster-recovery region. Only tiers with DR copies
      # create resources there, but the alias is always required so every env
      # root wires both providers the same way.
      configuration_aliases = [aws.dr]
    }
  }
}
