"""The validators `paved validate` runs, one module per kind of artefact.

Each validator is registered in :data:`REGISTRY` under a short name (the names
``--only`` takes; a prefix such as ``terraform`` or ``checkov`` selects a group). A
validator says whether it applies to a rendered repository and, when it does, runs the real
tool and returns an :class:`Outcome`.
"""

from __future__ import annotations

from generator.validators.alertmanager import AlertmanagerRouting
from generator.validators.base import REGISTRY, Context, Outcome, Status, Validator
from generator.validators.checkov import CheckovTerraform
from generator.validators.helm import (
    CheckovKubernetes,
    HelmLint,
    KubernetesCrds,
    KubernetesSchema,
    PodSecurity,
)
from generator.validators.parse import ParseFiles
from generator.validators.pipelines import CheckovCi, CiPinning, CiSchema
from generator.validators.prometheus import PromtoolCheck, PromtoolTest
from generator.validators.scripts import Shellcheck
from generator.validators.terraform import TerraformFmt, TerraformTest, TerraformValidate

for _validator in (
    ParseFiles(),
    TerraformFmt(),
    TerraformValidate(),
    TerraformTest(),
    CheckovTerraform(),
    HelmLint(),
    KubernetesSchema(),
    KubernetesCrds(),
    PodSecurity(),
    CheckovKubernetes(),
    PromtoolCheck(),
    PromtoolTest(),
    AlertmanagerRouting(),
    Shellcheck(),
    CiSchema(),
    CiPinning(),
    CheckovCi(),
):
    REGISTRY.register(_validator)

__all__ = ["REGISTRY", "Context", "Outcome", "Status", "Validator"]
