"""A worker loads the rule book once in its main process, so the prefork pool children inherit it
instead of each loading it on its first job."""

import logging
from pathlib import Path

import pytest
from celery import signals

from coverage.rules import current
from coverage.rules.loader import RuleBook
from workers.celery_app import app


def test_worker_setup_loads_the_rule_book_that_the_pool_children_then_use(
    rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signals.celeryd_after_setup.send(sender="celery@test", instance=None, conf=app.conf)
    loaded = current._state["book"]
    assert isinstance(loaded, RuleBook)

    def load_again(_: Path) -> RuleBook:
        raise AssertionError("a pool child loaded the rule book again")

    monkeypatch.setattr(RuleBook, "load", staticmethod(load_again))
    assert current.current_rulebook() is loaded


def test_a_rule_book_that_does_not_load_is_logged_and_the_worker_still_starts(
    rules: Path, caplog: pytest.LogCaptureFixture
) -> None:
    payer = rules / "payers" / "sandbox-commercial.yaml"
    payer.write_text(
        payer.read_text().replace("network_status: in_network", "network_status: maybe")
    )
    with caplog.at_level(logging.ERROR, logger="workers.celery_app"):
        signals.celeryd_after_setup.send(sender="celery@test", instance=None, conf=app.conf)
    assert current._state["book"] is None
    assert [r.getMessage() for r in caplog.records if r.name == "workers.celery_app"] == [
        "rule book not loaded at worker start: payer_rules/payers/sandbox-commercial.yaml:7:1: "
        "network_status: Input should be 'in_network' or 'out_of_network'"
    ]
