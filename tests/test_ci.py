"""CI runs exactly the README's test command (the two drift apart silently otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command_in_parallel() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"Install and run the tests.*?```sh\n(.*?)\n```", readme, re.S)
    assert block is not None, "README has no test command block"
    command = block.group(1).strip()
    ci_lines = [ln.strip() for ln in (ROOT / ".ci/run").read_text().splitlines()]
    assert command in ci_lines
    assert re.search(r"pytest .*-n (2|auto)\b", command), command  # pytest-xdist keeps the suite fast
