"""What the broker sees of a run: its id and nothing of its configuration or secrets."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import redis
from relay_plugin import TOKEN

from core.distributed.celery_app import EXECUTE_RUN, RUNS_QUEUE, create_celery
from core.distributed.executor import CeleryExecutor
from core.services import Services
from core.settings import Settings

pytestmark = pytest.mark.distributed


@pytest.mark.parametrize("integrations_database_url", ["postgres"], indirect=True)
def test_a_submitted_run_reaches_the_queue_as_its_id_alone(
    integrations: Services, broker_services: Services, install_connector, redis_url: str
):
    label = "acme-books-7"
    installation = install_connector("relay", {"work": {"token": TOKEN, "label": label}})
    run = integrations.runner.request(installation.id, "slow", trigger="manual")

    broker_services.executor.submit(run.id)

    raw = redis.Redis.from_url(redis_url).lrange(RUNS_QUEUE, 0, -1)
    assert len(raw) == 1
    message = json.loads(raw[0])
    assert message["headers"]["task"] == EXECUTE_RUN
    assert message["content-type"] == "application/json"
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([run.id], {})
    everything = raw[0].decode() + base64.b64decode(message["body"]).decode()
    for value in (TOKEN, label, *integrations.settings.secret_keys, "slow_seconds"):
        assert value not in everything


@pytest.mark.parametrize("bad", ["7", 7.0, True, None])
def test_only_an_integer_run_id_can_be_submitted(tmp_path: Path, redis_url: str, bad):
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", broker_url=redis_url)
    with pytest.raises(TypeError, match="run_id: expected an integer run id"):
        CeleryExecutor(create_celery(settings)).submit(bad)
    assert redis.Redis.from_url(redis_url).llen(RUNS_QUEUE) == 0


def test_a_message_is_acknowledged_after_its_run_and_a_worker_takes_one_at_a_time(
    tmp_path: Path,
):
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", broker_url="redis://h:1/0")
    conf = create_celery(settings).conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_serializer, conf.accept_content) == ("json", ["json"])
