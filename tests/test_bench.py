"""The benchmark's own helpers: its signatures, its floor, its server command, its synthetic flows."""

from __future__ import annotations

import pytest

from bench import floor_app, graph, servers, synthetic_flow
from bench.signing import HEADER, TOKEN, signature, signed_post
from ivr import create_app
from ivr.flow.loader import load_flow
from ivr.flow.model import SYNTHETIC_SEP
from tests.paths import LINE_NUMBER

PARAMS = {"CallSid": "CAbench", "From": "anonymous", "Digits": "1"}


@pytest.fixture()
def signed_app():
    return create_app({"auth_token": TOKEN, "caller_id": LINE_NUMBER}, dev=False)


def test_bench_signature_is_accepted_by_the_app(signed_app):
    body, headers = signed_post("http://localhost/voice", PARAMS)
    response = signed_app.test_client().post("/voice", data=body, headers=headers)
    assert response.status_code == 200
    assert b"<Gather" in response.data


def test_bench_signature_covers_the_query_string(signed_app):
    url = "http://localhost/voice/key?n=welcome"
    body, headers = signed_post(url, PARAMS)
    assert signed_app.test_client().post("/voice/key?n=welcome", data=body, headers=headers).status_code == 200
    moved = signed_app.test_client().post("/voice/key?n=welcome&r=1", data=body, headers=headers)
    assert moved.status_code == 403


def test_signature_with_another_token_is_refused(signed_app):
    headers = {HEADER: signature("http://localhost/voice", PARAMS, token="another")}
    assert signed_app.test_client().post("/voice", data=PARAMS, headers=headers).status_code == 403


def test_floor_answers_any_post_with_its_document():
    response = floor_app.app.test_client().post("/voice/key?n=x", data={"Digits": "1"})
    assert response.status_code == 200
    assert response.data == floor_app.DOCUMENT


def test_floor_command_changes_only_the_app():
    web = "gunicorn 'ivr.wsgi:create_app()' --preload --workers ${WEB_CONCURRENCY:-2} --bind 0.0.0.0:${PORT:-8000}"
    assert servers.floor_command(web) == (
        "gunicorn bench.floor_app:app --preload --workers ${WEB_CONCURRENCY:-2} --bind 0.0.0.0:${PORT:-8000}"
    )


def test_procfile_web_command_runs_gunicorn():
    assert servers.procfile_web().startswith("gunicorn ")


def test_synthetic_flow_is_valid_and_ten_times_bigger(tmp_path):
    default = load_flow(synthetic_flow.ROOT / "data", synthetic_flow.ROOT / "prompts")
    written = synthetic_flow.generate(tmp_path, 10)
    flow = load_flow(tmp_path / "data", tmp_path / "prompts")
    assert written == 10 * len([n for n in default.nodes if SYNTHETIC_SEP not in n])
    assert len(flow.nodes) == len(default.nodes) + written * 9 // 10


def test_bench_signatures_pass_the_apps_check_with_and_without_the_port():
    from urllib.parse import parse_qsl

    from flask import Flask, request

    from ivr.line.signature import SignatureCheck

    check = SignatureCheck(TOKEN)
    app = Flask(__name__)
    body, headers = signed_post("http://localhost/voice/key?n=welcome", PARAMS)
    params = parse_qsl(body.decode())
    with app.test_request_context("/voice/key?n=welcome", method="POST", data=body, headers=headers):
        assert check(request.environ, params) is True
    with_port = signature("http://localhost:80/voice/key?n=welcome", PARAMS)
    with app.test_request_context(
        "/voice/key?n=welcome",
        method="POST",
        data=body,
        headers={"Content-Type": headers["Content-Type"], HEADER: with_port},
    ):
        assert check(request.environ, params) is True
    with app.test_request_context("/voice/key?n=welcome&r=1", method="POST", data=body, headers=headers):
        assert check(request.environ, params) is False


def test_the_floor_runs_under_every_setting_of_the_procfile():
    web = servers.procfile_web()
    floor = servers.floor_command(web)
    assert floor.replace(servers.FLOOR_APP, "'ivr.wsgi:create_app()'", 1) == web
    assert "--worker-class ivr.line.server.Worker" in floor and "--config python:ivr.line.server" in floor


def test_with_worker_swaps_the_worker_class_and_its_patching_only():
    web = servers.procfile_web()
    threads = servers.with_worker(web, "--worker-class gthread --threads 8")
    assert "ivr.line.server" not in threads and "--config" not in threads and "--worker-connections" not in threads
    assert "--worker-class gthread --threads 8" in threads
    for kept in ("--preload", "--keep-alive 5", "--limit-request-line", "--logger-class", "--bind"):
        assert kept in threads


def test_graph_bench_draws_the_default_flow(tmp_path):
    figures = graph.timed(1, tmp_path, rounds=1)
    assert figures["nodes"] == len(load_flow(synthetic_flow.ROOT / "data", synthetic_flow.ROOT / "prompts").nodes)
    assert set(figures) == {"nodes", "words", "build", "svg", "png"} and all(v > 0 for v in figures.values())
