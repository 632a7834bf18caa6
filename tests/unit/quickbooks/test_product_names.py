"""Names of products created in QuickBooks: template expansion and cleaning (qbo-facts §3.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import validate
from core.platform.port import Customer, Item
from plugins.quickbooks.sync.invoice_mapping import MappingError
from plugins.quickbooks.sync.products import (
    NAME_MAX,
    TOKENS,
    ProductName,
    clean_name,
    expand,
    template_tokens,
    uses_customer,
)

SCHEMA = json.loads(
    (Path(__file__).parents[3] / "plugins/quickbooks/config.schema.json").read_text()
)
ITEM = Item(id="7", name="Consulting")
ADA = Customer(
    id="3",
    display_name="Ada Lovelace",
    given_name="Ada",
    family_name="Lovelace",
    company_name="Analytical Engines Ltd",
)


def test_default_template_is_the_item_name_and_needs_no_customer() -> None:
    assert expand("{item_name}", ITEM, None) == "Consulting"
    assert not uses_customer("{item_name}")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{item_name} for {customer_first_name}", "Consulting for Ada"),
        ("{customer_last_name}: {item_name}", "Lovelace: Consulting"),
        ("{item_name} ({customer_company})", "Consulting (Analytical Engines Ltd)"),
        ("{customer_name} - {item_name}", "Ada Lovelace - Consulting"),
        ("{{{item_name}}}", "{Consulting}"),
    ],
)
def test_tokens_expand_to_the_item_and_customer(template: str, expected: str) -> None:
    assert expand(template, ITEM, ADA) == expected
    assert uses_customer(template) == ("customer" in template)


def test_a_missing_customer_value_expands_to_nothing() -> None:
    nameless = Customer(id="4", display_name="Bob")
    assert expand("{item_name} for {customer_first_name}", ITEM, nameless) == "Consulting for "


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("{item}", "unknown token {item}"),
        ("{item_name!r}", "unknown token {item_name!r}"),
        ("{item_name:>10}", "unknown token {item_name:>10}"),
        ("{0}", "unknown token {0}"),
        ("{item_name", "/items/product_name_template"),
        ("item}", "/items/product_name_template"),
    ],
)
def test_a_bad_template_names_the_field_and_the_token(template: str, named: str) -> None:
    with pytest.raises(MappingError) as caught:
        template_tokens(template)
    assert "/items/product_name_template" in str(caught.value)
    assert named in str(caught.value)


def test_a_clean_name_is_unchanged_and_notes_nothing() -> None:
    assert clean_name("Consulting for Ada") == ProductName("Consulting for Ada")
    assert clean_name("Consulting for Ada").note() == ""


def test_colons_are_removed_and_said() -> None:
    cleaned = clean_name("Plan: Gold:Annual")
    assert cleaned.name == "Plan Gold Annual"
    assert cleaned.note() == "product name changed: removed ':'"


def test_tabs_and_line_breaks_become_single_spaces() -> None:
    cleaned = clean_name("Setup\tfee\r\nfirst month\nonly")
    assert cleaned.name == "Setup fee first month only"
    assert cleaned.changes == ("replaced tabs with spaces", "replaced line breaks with spaces")


def test_outer_and_doubled_spaces_are_trimmed() -> None:
    cleaned = clean_name("  Consulting  for Ada ")
    assert cleaned.name == "Consulting for Ada"
    assert cleaned.changes == ("trimmed spaces",)


def test_a_long_name_is_cut_to_100_characters_without_a_trailing_space() -> None:
    raw = "Consulting: " + "x" * 88 + " tail of the name"
    cleaned = clean_name(raw)
    assert len(cleaned.name) <= NAME_MAX
    assert cleaned.name == ("Consulting " + "x" * 88).rstrip()
    assert cleaned.note() == "product name changed: removed ':'; shortened to 100 characters"


def test_exactly_100_characters_is_kept_whole() -> None:
    assert clean_name("y" * NAME_MAX) == ProductName("y" * NAME_MAX)


@pytest.mark.parametrize("raw", ["", "   ", ":\t\n"])
def test_a_name_with_nothing_left_fails_naming_the_template(raw: str) -> None:
    with pytest.raises(MappingError, match="/items/product_name_template"):
        clean_name(raw)


def template_errors(template: str) -> list[str]:
    errors = validate(SCHEMA, {"items": {"product_name_template": template}}, step="items")
    return [error.pointer for error in errors]


@pytest.mark.parametrize("token", sorted(TOKENS))
def test_the_settings_accept_every_token_the_expansion_knows(token: str) -> None:
    assert template_errors(f"{{{{{token}}}}} {{{token}}}") == []


@pytest.mark.parametrize("template", ["{item}", "{item_name", "{item_name!r}", ""])
def test_the_settings_refuse_a_template_the_expansion_would_refuse(template: str) -> None:
    assert template_errors(template) == ["/items/product_name_template"]
