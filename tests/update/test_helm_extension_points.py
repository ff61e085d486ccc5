"""Team additions at the chart's extension points survive a template update.

Shaped like Copier's own update tests: template v1 in a git repo, copy, commit, edit as a
team would, evolve the template, tag v2, `copier update`, check.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import copier
import pytest

from generator.validators.base import Context
from generator.validators.helm import rendered, targets
from tests.conftest import edit_policy, git, load_yaml, require_helm

TEAM_ADDITIONS = """
# Team settings: the payment provider's sandbox in prod is a mistake we made once.
extraEnv:
  - name: PAYMENT_PROVIDER_URL
    value: "https://api.psp.example"
podAnnotations:
  team.acme.example/dashboard: "https://grafana.acme.example/d/catalog"
"""


@pytest.fixture
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "Test")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "test@example.invalid")


@pytest.mark.usefixtures("_git_identity")
def test_team_values_survive_a_template_update(
    template_dir: Path, tmp_path: Path, minimal_answers: dict[str, Any]
) -> None:
    require_helm()
    template = tmp_path / "template"
    shutil.copytree(template_dir, template)
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "v1")
    git(template, "tag", "v1")

    service = tmp_path / "service"
    copier.run_copy(
        str(template),
        service,
        data=minimal_answers,
        defaults=True,
        unsafe=True,
        vcs_ref="v1",
        quiet=True,
    )
    git(service, "init", "-q", "-b", "main")
    git(service, "add", "-A")
    git(service, "commit", "-qm", "generated")
    values_prod = service / "helm" / "catalog-api" / "values-prod.yaml"
    values_prod.write_text(values_prod.read_text() + TEAM_ADDITIONS)
    git(service, "commit", "-qam", "team settings")

    # The platform raises the tier-2 prod HPA ceiling in v2.
    edit_policy(template, {"tiers.2.prod_max_replicas": 10})
    git(template, "commit", "-qam", "v2")
    git(template, "tag", "v2")

    copier.run_update(
        service,
        defaults=True,
        unsafe=True,
        overwrite=True,
        vcs_ref="v2",
        quiet=True,
        conflict="inline",
    )

    values = load_yaml(values_prod)
    assert values["autoscaling"]["maxReplicas"] == 10, "the template's change arrived"
    assert values["extraEnv"] == [
        {"name": "PAYMENT_PROVIDER_URL", "value": "https://api.psp.example"}
    ]
    assert values["podAnnotations"] == {
        "team.acme.example/dashboard": "https://grafana.acme.example/d/catalog"
    }
    assert "<<<<<<<" not in values_prod.read_text()
    assert load_yaml(service / ".copier-answers.yml")["_commit"] == "v2"

    (target,) = [t for t in targets(service) if t.environment == "prod"]
    (workload,) = [m.obj for m in rendered(Context(service), target) if m.kind == "Deployment"]
    container = workload["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "PAYMENT_PROVIDER_URL", "value": "https://api.psp.example"} in container["env"]
    assert workload["spec"]["template"]["metadata"]["annotations"]["team.acme.example/dashboard"]
