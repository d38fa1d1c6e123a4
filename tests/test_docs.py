"""The README documents every command and option, and its two commands are the ones CI and make use."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from resettle.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name):
    assert re.search(rf"^resettle {name}\b", README, re.MULTILINE), f"`resettle {name}` is not documented"


@pytest.mark.parametrize(
    ("name", "option"),
    [(n, o) for n, c in sorted(cli.commands.items()) for p in c.params if isinstance(p, click.Option)
     for o in p.opts if o.startswith("--")],
)
def test_every_option_is_in_the_readme(name, option):
    assert option in README, f"{option} of `resettle {name}` is not in the README"


def test_the_two_commands():
    assert "make run" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:", makefile, re.MULTILINE) and re.search(r"^run:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_streamlit_usage_statistics_are_off():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(r"gatherUsageStats\s*=\s*false", config)


def test_the_layout_names_every_module():
    """README "Layout" is the map of the code: every module of the package is on it."""
    layout = README.split("\n## Layout\n", 1)[1]
    package = ROOT / "src" / "resettle"
    modules = sorted(p.relative_to(package) for p in package.rglob("*.py") if p.name != "__init__.py")
    missing = [str(m) for m in modules if m.name not in layout or (len(m.parts) > 1 and f"{m.parts[0]}/" not in layout)]
    assert not missing, f"README Layout does not name {missing}"
