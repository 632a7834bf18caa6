"""Every hook of the plugin contract is documented in docs/plugins.md, with a working example.

Each hook needs a ``## <hook_name>`` heading followed by a ``python`` code block that implements
it (``def <hook_name>(...)``) with arguments the hook really passes, so the page fails this test
when a hook is added, renamed or changes its arguments without the documentation following.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if inspect.isfunction(value) and hasattr(value, "integrations_spec")
)
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_the_contract_has_hooks():
    assert {"connector_manifest", "register_jobs", "on_uninstalled", "register_web"} <= set(HOOKS)


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    """The text under each ``## heading`` of docs/plugins.md."""
    assert DOCS.exists(), "docs/plugins.md is missing: document every hook of core/hookspecs.py"
    found: dict[str, str] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^##\s+`?([A-Za-z_][A-Za-z0-9_]*)`?(?:\(.*\))?\s*$", line)
        if heading:
            current = heading.group(1)
            found[current] = ""
        elif line.startswith("## ") or line.startswith("# "):
            current = None
        elif current is not None:
            found[current] += line + "\n"
    return found


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_an_example(sections: dict[str, str], hook: str):
    assert hook in sections, f"docs/plugins.md has no '## {hook}' heading"
    blocks = CODE_BLOCK.findall(sections[hook])
    assert blocks, f"'## {hook}' in docs/plugins.md has no ```python example"
    implementations = [
        node
        for block in blocks
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.FunctionDef) and node.name == hook
    ]
    assert implementations, f"the example under '## {hook}' does not define {hook}()"
    spec_params = set(inspect.signature(getattr(hookspecs, hook)).parameters)
    for implementation in implementations:
        used = {a.arg for a in implementation.args.args if a.arg != "self"}
        assert used <= spec_params, (
            f"the example of {hook} takes {sorted(used - spec_params)}, "
            f"which the hook does not pass (it passes {sorted(spec_params)})"
        )
