#!/usr/bin/env python3
"""Release notes of a deploy: the commits since the last deploy to the environment.

    python3 ci/release_notes.py <env>                      # Markdown on stdout
    python3 ci/release_notes.py <env> --tag <image-tag>    # after a good deploy: mark it
    python3 ci/release_notes.py <env> --tag <image-tag> --push

Deploys are marked by annotated tags deploy/<env>/<image-tag>; the notes list the commits
between the newest such tag reachable from HEAD and HEAD (all commits before the first
deploy).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~$#])")


def escape(text: str) -> str:
    """Commit subjects are free text: backslash-escape what Markdown would interpret."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def last_deploy(env: str) -> str | None:
    """The newest deploy/<env>/* tag reachable from HEAD, if any."""
    try:
        return git("describe", "--tags", "--abbrev=0", "--match", f"deploy/{env}/*", "HEAD")
    except subprocess.CalledProcessError:
        return None


def notes(env: str) -> str:
    since = last_deploy(env)
    span = f"{since}..HEAD" if since else "HEAD"
    log = git("log", "--no-merges", "--format=%h%x1f%s%x1f%an", span)
    commits = [line.split("\x1f") for line in log.splitlines() if line]
    title = f"## Release to {env}"
    if not commits:
        return f"{title}\n\nNo changes since {since}.\n"
    origin = f"since {since}" if since else "(first deploy)"
    lines = [title, "", f"{len(commits)} change(s) {origin}:", ""]
    lines += [f"- `{sha}` {escape(subject)} ({escape(author)})" for sha, subject, author in commits]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env")
    parser.add_argument("--tag", metavar="IMAGE_TAG", help="mark HEAD as deployed to env with this image tag")
    parser.add_argument("--push", action="store_true", help="push the deploy tag to origin")
    args = parser.parse_args(argv)
    text = notes(args.env)
    print(text, end="")
    if args.tag:
        tag = f"deploy/{args.env}/{args.tag}"
        git("tag", "--annotate", "--force", tag, "--message", text)
        if args.push:
            git("push", "--force", "origin", f"refs/tags/{tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
