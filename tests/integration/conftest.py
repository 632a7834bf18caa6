"""Integration fixtures: the services over a real database with the sample connector registered."""

from __future__ import annotations

import pytest
from sample_plugins import SampleConnector

from core.services import Services
from core.store.models import Installation


@pytest.fixture
def sample() -> SampleConnector:
    """The sample connector plugin instance (it records the lifecycle calls it receives)."""
    return SampleConnector()


@pytest.fixture
def integrations_plugins(sample: SampleConnector) -> list[tuple[str, object]]:
    return [("sample", sample)]


@pytest.fixture
def installation(integrations: Services, tenant_id: int) -> Installation:
    """A draft installation of the sample connector (its defaults saved as version 1)."""
    with integrations.db.session() as session:
        return integrations.installations.install(session, tenant_id, "sample", actor="alice")
