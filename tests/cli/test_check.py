"""`ivr check` and /healthz count the nodes the same way: those written in flow.yaml, then all."""

from __future__ import annotations

import re

import yaml
from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from ivr.config import Settings


def test_check_and_healthz_give_the_same_node_counts(monkeypatch):
    for name in ("IVR_DATA_DIR", "IVR_PROMPTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    data = Settings().data_dir
    written = len(yaml.safe_load((data / "flow.yaml").read_text(encoding="utf-8"))["nodes"])
    result = CliRunner().invoke(main, ["check"])
    said = re.search(r"valid: (\d+) nodes written in data/flow\.yaml \((\d+) with the councils' own\)", result.output)
    assert said, result.output
    health = create_app({"stats_url": "off"}, dev=True).test_client().get("/healthz").get_json()
    assert int(said[1]) == health["nodes"] == written
    assert int(said[2]) == health["nodes_with_councils"] > written, "a node grown for each council"
