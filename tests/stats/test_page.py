"""`/stats` exists only with a password, asks for it, and draws from nothing outside the app."""

from __future__ import annotations

import base64
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ivr.cli.demo import play_day
from ivr.stats.report import PARIS
from tests.conftest import DataCopy
from tests.paths import FIXTURES

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


DAY = date(2026, 3, 10)
COUNCILS = FIXTURES / "councils"


def _hour(hour_utc: int) -> int:
    return int(datetime(DAY.year, DAY.month, DAY.day, hour_utc, tzinfo=UTC).timestamp()) // 3600


def _counted(db_url: str, data: Path, prompts: Path):
    """An app on a flow of the tests, with a day of counts, some of nodes and services it does not have."""
    app = counting_app(db_url, stats_password="pw", data_dir=data, prompts_dir=prompts)
    h = _hour(9)
    app.extensions["ivr.stats"].store.add(
        {
            (h, ("call", "", "answered")): 12,
            (h, ("choice", "welcome", "doctor_needs")): 10,
            (h, ("choice", "doctor_needs", "council_lookup")): 8,
            (h, ("choice", "council_lookup", "council_lookup-07")): 5,
            (h, ("choice", "doctor_needs", "social_help")): 4,  # a node since removed
            (h, ("reached", "welcome", "")): 12,
            (h, ("reached", "council_lookup-07", "")): 5,
            (h, ("transfer", "platform", "")): 4,
            (h, ("transfer", "mots", "")): 3,  # a service since removed
            (h, ("transfer_end", "platform", "completed")): 4,
            (h, ("speech", "council_lookup", "understood")): 6,
            (h, ("speech", "assault", "unsure")): 3,  # a node since removed
        }
    )
    return app


def _cells(html: str, heading: str) -> list[list[str]]:
    """The rows of the table after a heading, each cell as its text (tags taken out)."""
    table = html.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows]


def test_the_page_names_menus_departements_and_services_in_words(db_url):
    app = _counted(db_url, COUNCILS / "data", COUNCILS / "prompts")
    html = app.test_client().get(f"/stats?du={DAY}&au={DAY}", headers=_auth("pw")).get_data(as_text=True)
    assert _cells(html, "Transferts par service") == [
        ["Service", "Lancés", "abouti", "occupé", "sans réponse", "échec", "raccroché avant", "Non aboutis"],
        ["mots (n'est plus dans le parcours)", "3", "0", "0", "0", "0", "0", "–"],
        ["Plateforme des médecins platform", "4", "4", "0", "0", "0", "0", "0 %"],
    ]
    assert _cells(html, "Choix dits à voix haute")[1:] == [
        ["Votre conseil council_lookup", "6", "0", "0"],
        ["assault (n'est plus dans le parcours)", "0", "0", "3"],
    ]
    assert '<small class="id">council_lookup</small>' in html, "the id, small, next to the words"
    routes = html.split('id="h-parcours"', 1)[1].split("</figure>", 1)[0]
    assert "Votre conseil → 07 Ardèche" in routes and "Médecin → social_help (retiré)" in routes
    funnel = html.split('id="h-entonnoir"', 1)[1].split("</figure>", 1)[0]
    assert "07 Ardèche" in funnel and "En danger, le quinze." in funnel


def test_a_hostile_label_or_name_is_escaped(db_url, tmp_path):
    copy = DataCopy(tmp_path, source=COUNCILS)
    copy.edit("prompts", lambda d: d["prompts"].update(opt_council="<script>alert('conseil')</script>"))
    copy.edit("directory", lambda d: d["services"]["platform"].update(name='<img src=x onerror="alert(1)">'))
    app = _counted(db_url, copy.data, copy.prompts)
    html = app.test_client().get(f"/stats?du={DAY}&au={DAY}", headers=_auth("pw")).get_data(as_text=True)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;conseil&#39;)&lt;/script&gt;" in html, "in the table of words said"
    assert "&lt;script&gt;alert('consei… → 07 Ardèche" in html, "in the chart of routes, cut to fit"
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html, "in the table of transfers"


def test_guesses_lock_one_client_out_of_the_page_alone(tmp_path, caplog):
    app = counting_app(f"sqlite:///{tmp_path / 's.sqlite3'}", stats_password="s3cret")
    # No hook on the whole app: a webhook pays nothing for the page's lockout.
    assert (app.before_request_funcs.get(None, []), app.after_request_funcs.get(None, [])) == ([], [])
    guesser, staff = app.test_client(), app.test_client()
    staff.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    with caplog.at_level(logging.WARNING, logger="ivr.stats"):
        assert [guesser.get("/stats", headers=_auth(f"guess{i}")).status_code for i in range(5)] == [401] * 5
    locked = guesser.get("/stats", headers=_auth("s3cret"))
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 900
    assert staff.get("/stats", headers=_auth("s3cret")).status_code == 200
    assert guesser.post("/voice").status_code == 200
    lines = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("/stats locked for one client after 5 wrong passwords, for ")
