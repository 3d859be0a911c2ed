"""The READMEs (and DESIGN.md) only name documents and files the repository has: every Markdown
link to a local file, every ``*.md`` name, and every back-quoted repository path with a file
extension resolves — relative to the document's folder or to the repository root."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", ".cache", "var", ".servers", ".bench", ".git", "node_modules", "build"}
#: names of other projects' documents, quoted as such (not files of this repository)
EXTERNAL = {"BUILDING.md"}  # docker/README.md quotes Phoenix's BUILDING.md
#: top-level folders a back-quoted path must start with to be taken as a repository path
REPO_DIRS = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in SKIP_DIRS}
#: paths a run or a server creates (the READMEs say where things land), not repository files
GENERATED = ("var/", ".servers/", ".bench/", ".cache/", ".venv/", "reports/", "lake/", "sources/")


def documents() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md")
                  if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def _exists(doc: Path, name: str) -> bool:
    name = name.split("#", 1)[0].rstrip("/")
    return not name or (doc.parent / name).exists() or (ROOT / name).exists()


def links(doc: Path) -> set[str]:
    """Markdown links to local files: a renderer resolves them from the document's folder."""
    return {m for m in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8"))
            if "://" not in m and not m.startswith(("#", "mailto:"))}


def named_files(doc: Path) -> set[str]:
    """``*.md`` names and back-quoted repository paths in the text."""
    text = doc.read_text(encoding="utf-8")
    names = set(re.findall(r"(?<![\w/.-])([\w./-]*[\w-]\.md)\b", text)) - EXTERNAL
    for quoted in re.findall(r"`([^`\s]+)`", text):
        path = quoted.split(":", 1)[0]
        if (re.fullmatch(r"[\w.-]+(/[\w.-]+)+\.(py|sh|yaml|yml|md|csv|xml|sql|toml|cfg|txt|json|html|hql|env)", path)
                and path.split("/", 1)[0] in REPO_DIRS and not path.startswith(GENERATED)
                and "*" not in path and "<" not in path):
            names.add(path)
    return names


def test_there_are_documents_and_the_architecture_document_is_one_of_them():
    docs = [p.relative_to(ROOT).as_posix() for p in documents()]
    assert "README.md" in docs and "DESIGN.md" in docs, docs
    design = (ROOT / "DESIGN.md").read_text(encoding="utf-8")
    for section in ("## Data flow", "## Zones", "## Profiles", "## Stage packages", "```mermaid"):
        assert section in design, section


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_document_and_file_exists(doc: Path):
    missing = sorted(n for n in named_files(doc) if not _exists(doc, n))
    missing += sorted(f"link {n}" for n in links(doc)
                      if not (doc.parent / n.split("#", 1)[0]).exists())
    assert not missing, f"{doc.relative_to(ROOT)} names files the repository does not have: {missing}"
