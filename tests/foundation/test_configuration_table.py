"""README's "Configuration" table names exactly the environment variables the service reads."""
from __future__ import annotations

import re
from pathlib import Path

from wallet_service.platform.config import environment_variables

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_variables() -> set[str]:
    """The backticked names in the first column of the table under "## Configuration"."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        cells = line.split("|")
        if not line.startswith("|") or len(cells) < 3 or set(cells[1].strip()) <= {"-"}:
            continue
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[1]))
    return names


def test_readme_lists_every_variable_the_settings_read_and_no_other():
    documented = documented_variables()
    read = environment_variables()
    assert documented - read == set(), "documented in README.md but not read by Settings"
    assert read - documented == set(), "read by Settings but missing from README.md's table"
