"""The template as it is on disk, as a commit Copier can render and update to.

`paved template test` checks the working tree, uncommitted changes included, and the update
from each earlier release to it. Copier renders a git template at a ref, so the working tree
is committed in a scratch clone of the template's repository: the clone has every tag of
the template (the releases to update from) and one more commit on top, the working tree as
it is (tracked files with their changes, new files that git does not ignore, deleted files
gone). The template's own repository, index and working tree are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.errors import PavedError
from generator.git import GitError, git, toplevel
from generator.template_source import TemplateRepo, latest_release

# Commits made in the scratch clone carry this identity, whatever the machine's git config.
GIT_IDENTITY = (
    "-c",
    "user.name=paved template test",
    "-c",
    "user.email=template-test@paved.invalid",
    "-c",
    "commit.gpgsign=false",
)


@dataclass(frozen=True)
class Workspace:
    """A scratch clone of the template with its working tree committed as ``head``."""

    template: Path  # the checkout that was asked for
    clone: Path  # the scratch clone Copier renders from
    head: str  # the commit holding the working tree
    changed: int  # files the working tree changes, adds or deletes against HEAD
    root: Path  # a scratch folder for the renders, removed with the workspace

    @property
    def repo(self) -> TemplateRepo:
        return TemplateRepo(self.clone)

    def latest_release(self) -> str | None:
        """The template's latest release tag, as Copier would pick it."""
        return latest_release(self.repo.tags())

    def resolve(self, ref: str) -> str:
        """The commit ``ref`` names in the template; :class:`PavedError` when there is none."""
        commit = self.repo.resolve(ref)
        if commit is None:
            raise PavedError(
                f"--from {ref}: the template {self.template} has no such tag, branch or commit"
            )
        return commit


@contextmanager
def workspace(template: Path) -> Iterator[Workspace]:
    """Commit ``template``'s working tree in a scratch clone, for the length of the block."""
    if not (template / "copier.yml").is_file():
        raise PavedError(f"{template}: no copier.yml; the rule is a template checkout's root")
    top = toplevel(template)
    if top is None or top.resolve() != template.resolve():
        raise PavedError(
            f"{template}: not the root of a git repository; the releases to update from are "
            "its tags, so the template must be a git checkout"
        )
    with tempfile.TemporaryDirectory(prefix="paved-template-test-") as scratch:
        root = Path(scratch)
        clone = root / "template"
        try:
            git(root, "clone", "--quiet", "--no-checkout", "--", str(top), str(clone))
            git(clone, "checkout", "--quiet", "--detach", git(top, "rev-parse", "HEAD").strip())
            changed = _copy_working_tree(top, clone)
            git(clone, "add", "--all", "--", ".")
            git(clone, *GIT_IDENTITY, "commit", "--quiet", "--allow-empty", "-m", "working tree")
            head = git(clone, "rev-parse", "HEAD").strip()
        except GitError as error:
            raise PavedError(f"{template}: cannot take the working tree: {error}") from error
        renders = root / "renders"
        renders.mkdir()
        yield Workspace(template, clone, head, changed, renders)


def _copy_working_tree(top: Path, clone: Path) -> int:
    """Bring the clone's files to what ``top`` has on disk; the number of paths that differ."""
    out = git(top, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    entries = out.split("\0")
    paths: set[str] = set()
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        paths.add(path)
        if "R" in code or "C" in code:
            paths.add(entries[index])  # the rename's source
            index += 1
    for path in sorted(paths):
        source, target = top / path, clone / path
        if source.is_file() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            shutil.copy2(source, target, follow_symlinks=False)
        elif target.is_file() or target.is_symlink():
            target.unlink()
    return len(paths)
