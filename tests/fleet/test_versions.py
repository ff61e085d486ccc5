"""`paved fleet status` and `paved upgrade` read a template's versions alike."""

from __future__ import annotations

from pathlib import Path

from generator.fleet import fleet_status
from generator.upgrade import _preflight
from tests.conftest import git

TAGS = ("v1.2.0", "v1.3", "1.4.0.post1")


def _template(path: Path) -> Path:
    """A template repository with one commit per tag of ``TAGS``."""
    path.mkdir()
    git(path, "init", "-q")
    for tag in TAGS:
        (path / "VERSION").write_text(f"{tag}\n")
        git(path, "add", "-A")
        git(path, "commit", "-qm", tag)
        git(path, "tag", tag)
    return path


def service_at(path: Path, template: Path | str, commit: str) -> Path:
    """A generated repository's answers, committed: at template version ``commit``."""
    path.mkdir(parents=True)
    (path / ".copier-answers.yml").write_text(
        f"_commit: {commit}\n_src_path: {template}\nservice_name: {path.name}\ntier: 2\n"
    )
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "generated")
    return path


def test_upgrade_and_fleet_status_agree_on_the_latest_release(tmp_path: Path) -> None:
    template = _template(tmp_path / "template")
    service = service_at(tmp_path / "fleet" / "svc", template, "v1.2.0")

    (row,) = fleet_status([tmp_path / "fleet"], with_drift=False, with_readiness=False)
    plan = _preflight(service, None, lambda _: None)

    assert row.error is None, row.error
    assert row.latest == plan.to_version == "1.4.0.post1"


def test_behind_counts_two_part_and_post_release_tags(tmp_path: Path) -> None:
    template = _template(tmp_path / "template")
    for tag in TAGS:
        service_at(tmp_path / "fleet" / f"at-{tag}", template, tag)

    rows = fleet_status([tmp_path / "fleet"], with_drift=False, with_readiness=False)

    assert {Path(row.path).name: (row.latest, row.behind, row.error) for row in rows} == {
        "at-v1.2.0": ("1.4.0.post1", "minor", None),
        "at-v1.3": ("1.4.0.post1", "minor", None),
        "at-1.4.0.post1": ("1.4.0.post1", "none", None),
    }
