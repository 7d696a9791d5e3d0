"""`/stats` exists only with a password, asks for it, and draws from nothing outside the app."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta

from ivr.cli.demo import play_day
from ivr.stats.report import PARIS

from .helpers import counting_app


def _auth(password: str, user: str = "staff") -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_without_a_password_there_is_no_page(tmp_path):
    app = counting_app(f"sqlite:///{tmp_path / 's.sqlite3'}")
    client = app.test_client()
    assert client.get("/stats").status_code == 404
    assert client.get("/stats", headers=_auth("")).status_code == 404


def test_the_page_asks_for_the_password(tmp_path):
    app = counting_app(f"sqlite:///{tmp_path / 's.sqlite3'}", stats_password="s3cret")
    client = app.test_client()
    refused = client.get("/stats")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert client.get("/stats", headers=_auth("wrong")).status_code == 401
    assert client.get("/stats", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get("/stats", headers={"Authorization": "Bearer s3cret"}).status_code == 401
    assert client.get("/stats", headers=_auth("s3cret")).status_code == 200


def test_the_page_is_french_self_contained_and_hides_small_counts(db_url):
    app = counting_app(db_url, stats_password="pw")
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    play_day(app, yesterday, 40, seed=3)
    page = app.test_client().get("/stats", headers=_auth("pw"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Appels par jour" in html and "Durée des appels" in html and 'lang="fr"' in html
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "nothing is fetched from elsewhere"
    assert html.count("<svg") == 7, "30 days by default: the hour of day too"
    one_day = app.test_client().get(f"/stats?du={yesterday}&au={yesterday}", headers=_auth("pw"))
    html = one_day.get_data(as_text=True)
    assert "heure de la journée se lit sur 7 jours" in html, "one day never shows hours"
    assert html.count("<svg") == 6


def test_the_page_is_off_with_the_statistics(tmp_path):
    from ivr import create_app

    app = create_app({"stats_url": "off", "stats_password": "pw"}, dev=True)
    assert app.test_client().get("/stats", headers=_auth("pw")).status_code == 404
