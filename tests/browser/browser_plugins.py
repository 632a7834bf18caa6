"""A connector whose manifest and schema texts are markup: the pages must show them as text."""

from __future__ import annotations

from sample_plugins import SampleConnector, sample_manifest

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>bold</b>"
MARKUP = f"{SCRIPT} {BOLD}"


def markup_connector() -> SampleConnector:
    """Name, category, summary, description, step and field titles all carry markup."""
    manifest = sample_manifest(
        id="markup",
        name=f"Markup {MARKUP}",
        category=f"Category {MARKUP}",
        summary=f"Summary {MARKUP}",
        description=f"Description {MARKUP}",
    )
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "step": {
                "type": "object",
                "title": f"Step {MARKUP}",
                "description": f"Step help {MARKUP}",
                "properties": {
                    "field": {
                        "type": "string",
                        "title": f"Field {MARKUP}",
                        "description": f"Field help {MARKUP}",
                        "default": MARKUP,
                    },
                    "choice": {"type": "string", "enum": [MARKUP, "plain"], "default": MARKUP},
                },
            }
        },
    }
    return SampleConnector(manifest=manifest, schema=schema, jobs=[])
