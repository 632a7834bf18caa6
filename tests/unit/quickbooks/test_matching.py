"""Key links: QuickBooks records recognised as platform records, or refused with a reason."""

from __future__ import annotations

import pytest

from plugins.quickbooks.sync.matching import KeyIndex, KeyLinkError, KeyLinks, match_one, normalise


def test_defaults_match_customers_by_email_and_items_by_name() -> None:
    links = KeyLinks.from_config({})
    assert (links.customers_by, links.items_by) == ("email", "name")


def test_items_by_sku_reads_the_quickbooks_sku() -> None:
    links = KeyLinks.from_config({"key_links": {"items_by": "sku"}})
    assert links.item_key({"Name": "Consulting", "Sku": " CONS-1 "}) == "cons-1"
    assert links.item_key({"Name": "Consulting"}) is None


def test_items_by_name_reads_the_name() -> None:
    assert KeyLinks.from_config({}).item_key({"Name": "  Web Design "}) == "web design"


@pytest.mark.parametrize(
    ("settings", "pointer"),
    [
        ({"customers_by": "name"}, "/key_links/customers_by"),
        ({"items_by": "barcode"}, "/key_links/items_by"),
    ],
)
def test_unusable_settings_name_their_field(settings: dict, pointer: str) -> None:
    with pytest.raises(KeyLinkError) as caught:
        KeyLinks.from_config({"key_links": settings})
    assert caught.value.pointer == pointer
    assert pointer in str(caught.value)


def test_keys_ignore_case_and_surrounding_space_and_blank_is_no_key() -> None:
    assert normalise(" Jane@Example.COM ") == "jane@example.com"
    assert normalise("   ") is None
    assert normalise(None) is None


def decide(key: str | None, ids: list[str], linked: dict[str, str] | None = None):
    return match_one(
        kind="customer",
        key_label="email",
        key=key,
        candidate_ids=ids,
        remote_id="58",
        linked=linked or {},
    )


def test_a_key_nobody_has_means_create() -> None:
    assert decide("jane@example.com", []) == decide(None, ["1"])
    assert decide("jane@example.com", []).local_id is None
    assert decide("jane@example.com", []).problem is None


def test_one_platform_record_with_the_key_is_the_match() -> None:
    assert decide("jane@example.com", ["7"]).local_id == "7"


def test_a_record_already_linked_to_the_same_quickbooks_record_still_matches() -> None:
    assert decide("jane@example.com", ["7"], {"7": "58"}).local_id == "7"


def test_a_key_shared_by_two_platform_records_is_ambiguous() -> None:
    match = decide("jane@example.com", ["9", "3"])
    assert match.local_id is None
    assert match.problem == (
        "email 'jane@example.com' matches 2 platform customers (3, 9); "
        "give each a distinct email or link one by hand"
    )


def test_a_record_linked_to_another_quickbooks_record_is_not_taken_twice() -> None:
    match = decide("jane@example.com", ["7"], {"7": "12"})
    assert match.local_id is None
    assert "already linked to QuickBooks customer 12" in (match.problem or "")


def test_the_index_sees_records_added_during_the_run() -> None:
    index = KeyIndex([("a", "1"), (None, "2")])
    assert index.ids("a") == ["1"]
    assert index.ids(None) == []
    index.add("b", "3")
    assert index.ids("b") == ["3"]
