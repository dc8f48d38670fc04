"""A payer adapter from a separate package, found through the `coverage.payer_adapters` entry-point
group: the registry and the rule book both see it, a broken plug-in is skipped with a log line, and
none may replace a built-in adapter."""

import importlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverage.adapters.base import load_adapters, settings_models
from coverage.adapters.sandbox import SandboxAdapter
from coverage.cli import app
from tests.factories import errors_printed

PLUGIN = """
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class EchoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str


class EchoAdapter:
    name: ClassVar[str] = "echo"
    settings_model: ClassVar[type[BaseModel]] = EchoSettings

    def check(self, request, *, payer):
        raise NotImplementedError
"""
ENTRY_POINTS = """\
[coverage.payer_adapters]
echo = iop_echo_plugin:EchoAdapter
broken = iop_missing_plugin:Nothing
sandbox = iop_echo_plugin:EchoAdapter
"""
PAYER = """\
kind: payer
id: echo-health
name: Echo Health
type: commercial
adapter: echo
network_status: out_of_network
contract: none  # no fee schedule: the plug-in is what this test is about
version: "2026.1"
source: "a test plug-in"
effective: "2024-01-01"
status: verified
settings:
  {setting}
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plug-in installed as a distribution on sys.path, as `pip install` would leave it."""
    site = tmp_path / "site"
    dist_info = site / "iop_echo_plugin-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (site / "iop_echo_plugin.py").write_text(PLUGIN)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: iop-echo-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
    # After the service's own distribution, so its entries come last: a built-in must win anyway.
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    importlib.invalidate_caches()
    load_adapters.cache_clear()
    yield
    load_adapters.cache_clear()
    sys.modules.pop("iop_echo_plugin", None)


def test_the_registry_adds_the_plugin_skips_the_broken_one_and_keeps_the_builtins(
    plugin: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="coverage.adapters.base"):
        adapters = load_adapters()
    assert type(adapters["echo"]).__name__ == "EchoAdapter"
    assert "broken" not in adapters
    assert type(adapters["sandbox"]) is SandboxAdapter
    assert caplog.messages == ["payer adapter broken could not be loaded: ModuleNotFoundError"]


def test_the_rule_book_checks_a_payer_file_against_the_plugins_settings(
    plugin: None, rules: Path
) -> None:
    echo = settings_models()["echo"]
    assert echo is not None and echo.__name__ == "EchoSettings"
    payer_file = rules / "payers" / "echo-health.yaml"
    payer_file.write_text(PAYER.format(setting='region: "VA"'))
    checked = CliRunner().invoke(app, ["rules", "check", str(rules), "--today", "2026-06-01"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("ok: 37 files, 13 payers, ")

    payer_file.write_text(PAYER.format(setting='area: "VA"'))
    refused = CliRunner().invoke(app, ["rules", "check", str(rules)])
    assert refused.exit_code == 1
    assert errors_printed(refused.stderr) == [
        "error: payer_rules/payers/echo-health.yaml:12:1: settings.region: Field required "
        "(settings of adapter 'echo')",
        "error: payer_rules/payers/echo-health.yaml:13:3: settings.area: Extra inputs are not "
        "permitted (settings of adapter 'echo')",
    ]
