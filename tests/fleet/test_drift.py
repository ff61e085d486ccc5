"""Drift against a pristine render, and the render cache under concurrency."""

from __future__ import annotations

import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from generator.fleet.drift import RenderError, RenderKey, drift, ensure_render
from tests.fleet.builders import generate
from tests.fleet.conftest import ReleasedTemplate


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_drift_is_changed_or_missing_template_files_only(tmp_path: Path) -> None:
    pristine = _tree(
        tmp_path / "pristine",
        {
            "README.md": "a\n",
            "helm/values.yaml": "b\n",
            "ci/deploy.sh": "c\n",
            ".copier-answers.yml": "x\n",
        },
    )
    repo = _tree(
        tmp_path / "repo",
        {
            "README.md": "a\n",
            "helm/values.yaml": "b changed\n",
            ".copier-answers.yml": "_commit: other\n",  # the render's input, not compared
            "src/app.py": "team code\n",  # the team's own file
        },
    )
    assert drift(repo, pristine) == ["ci/deploy.sh", "helm/values.yaml"]


def test_render_keys_differ_by_source_version_and_answers() -> None:
    key = RenderKey("/t", "v1.0.0", {"tier": 2, "team": "a"})
    assert key == RenderKey("/t", "v1.0.0", {"team": "a", "tier": 2})
    assert len({key, RenderKey("/t", "v1.0.0", {"team": "a", "tier": 2})}) == 1
    assert key != RenderKey("/t", "v1.0.0", {"tier": 3, "team": "a"})
    assert key != RenderKey("/t", "v1.1.0", {"tier": 2, "team": "a"})
    assert key != RenderKey("/u", "v1.0.0", {"tier": 2, "team": "a"})


def test_concurrent_renders_of_one_key_leave_one_complete_render(
    released_template: ReleasedTemplate, minimal_answers: dict[str, Any], tmp_path: Path
) -> None:
    key = RenderKey(str(released_template.path), "v1.1.0", minimal_answers)
    cache = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        trees = list(pool.map(ensure_render, [key] * 2, [cache] * 2))
    assert trees[0] == trees[1]
    assert [p.name for p in (cache / "renders").iterdir()] == [key.digest]
    # The cached render is what `copier copy` gives at that version.
    direct = generate(released_template.path, "v1.1.0", minimal_answers, tmp_path / "direct")
    shutil.rmtree(direct / ".git")
    assert drift(direct, trees[0]) == []
    assert drift(trees[0], direct) == []
    # A second call finds it in the cache.
    stamp = (trees[0] / "README.md").stat().st_mtime_ns
    assert ensure_render(key, cache) == trees[0]
    assert (trees[0] / "README.md").stat().st_mtime_ns == stamp


def test_a_failed_render_raises_and_caches_nothing(
    released_template: ReleasedTemplate, minimal_answers: dict[str, Any], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    key = RenderKey(str(released_template.path), "v1.0.0-1-gdeadbee", minimal_answers)
    with pytest.raises(RenderError, match="Unknown revision"):
        ensure_render(key, cache)
    assert list((cache / "renders").iterdir()) == []
