"""`/stats`: the staff page, server-rendered SVG charts (pygal, no script, nothing from elsewhere).

Served only when IVR_STATS_PASSWORD is set, behind HTTP basic auth (werkzeug reads it); after
WRONG_PASSWORDS from one client, it is locked out for the rest of the window (the `limits` library, in
each worker's memory), with one log line per lockout. Only this page's requests are counted: a
limiter hooked on the whole app (Flask-Limiter) would run on every webhook too, and doubled the
cost of one (63 to 120 µs in one process, bench.profile's request, 29 November 2026).
French labels; readable on a phone. Every figure is by day or over the period, with counts of 1 or 2
hidden, as in `ivr stats`.
Drawn by templates/stats/page.html (Jinja2, autoescaped); menus, départements and services in the
words of the loaded flow (flow/names.py), an id it no longer has shown as such.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta

import pygal
from flask import Blueprint, Flask, Response, current_app, render_template, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from markupsafe import Markup
from pygal.style import Style

from ..flow.names import Name, Names, shorten
from . import events, report

bp = Blueprint("stats_page", __name__, template_folder="templates")
log = logging.getLogger("ivr.stats")
# A few mistakes are a person; more, from one client, are guesses: each worker counts its own.
WRONG_PASSWORDS = parse("5 per 15 minutes")
GONE = "(retiré)"  # in a chart, after the id of a node the flow has lost since it was counted
SIDE = 22  # characters of each end of a route, of a step of the drop-off: pygal cuts no label of a horizontal chart
REALM = 'Basic realm="Statistiques de la ligne", charset="UTF-8"'
OUTCOMES_FR = {
    "completed": "abouti",
    "busy": "occupé",
    "no-answer": "sans réponse",
    "failed": "échec",
    "canceled": "raccroché avant",
}
STYLE = Style(
    background="white",
    plot_background="white",
    font_family="system-ui, sans-serif",
    colors=("#1f5f8b", "#c0392b", "#e67e22", "#8e44ad", "#7f8c8d", "#27ae60"),
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=13,
)


def _without_scripts(root):
    """Take out pygal's scripts (its tooltips' configuration): the page runs none."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "script":
                parent.remove(child)
    return root


CHART = dict(
    style=STYLE,
    js=[],
    css=["file://style.css", "file://graph.css"],
    width=720,
    height=380,
    disable_xml_declaration=True,
    show_legend=True,
    legend_at_bottom=True,
    truncate_label=40,
    print_values=False,
    no_data_text="Pas encore de données",
    explicit_size=False,
)


def _authorised(password: str) -> bool:
    auth = request.authorization
    if auth is None or auth.type != "basic" or auth.password is None:
        return False
    return hmac.compare_digest(auth.password.encode(), password.encode())


@bp.before_request
def _check_password():
    guesses: FixedWindowRateLimiter = current_app.extensions[GUESSES]
    client = request.remote_addr or "-"  # the proxy's X-Forwarded-For, with IVR_PROXY_HOPS (ProxyFix)
    if not guesses.test(WRONG_PASSWORDS, client):
        reset = guesses.get_window_stats(WRONG_PASSWORDS, client).reset_time
        return Response(
            "Trop d'essais : réessayez plus tard.\n",
            429,
            {"Retry-After": str(max(1, round(reset - time.time())))},
            content_type="text/plain; charset=utf-8",
        )
    password = current_app.extensions["ivr"].settings.stats_password
    if not password or not _authorised(password):
        guesses.hit(WRONG_PASSWORDS, client)
        if not guesses.test(WRONG_PASSWORDS, client):  # this mistake locks the client out: said once
            reset = guesses.get_window_stats(WRONG_PASSWORDS, client).reset_time
            log.warning(  # the client is never named: the line says that guessing happens
                "/stats locked for one client after %d wrong passwords, for %d s",
                WRONG_PASSWORDS.amount,
                max(0, round(reset - time.time())),
            )
        return Response(
            "Authentification requise.\n", 401, {"WWW-Authenticate": REALM}, content_type="text/plain; charset=utf-8"
        )
    return None


GUESSES = "ivr.stats.guesses"  # app.extensions key: the wrong passwords counted, per client, in this worker


def protect(app: Flask) -> None:
    """Serve the page on `app`, locking a client out after WRONG_PASSWORDS (counted on 401 answers only)."""
    app.extensions[GUESSES] = FixedWindowRateLimiter(MemoryStorage())
    app.register_blueprint(bp)


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


def _visible(n: int) -> int | None:
    """A count a chart may draw: 1 and 2 are left out (shown as "< 3" in the tables)."""
    return None if 0 < n < report.SMALL else n


def _svg(chart) -> Markup:
    # Marked safe for the template: the SVG is drawn here by pygal, which escapes every label it is
    # given (menu labels and names come from the flow's files), and holds no script (_without_scripts).
    chart.add_xml_filter(_without_scripts)
    return Markup(f"<figure>{chart.render(is_unicode=True)}</figure>")


def _label(name: Name, width: int = SIDE) -> str:
    """A node as a chart names it: its words, or its id marked as gone, cut to fit beside the bars."""
    return shorten(name.words if name.known else f"{name.id} {GONE}", width)


def _fr(day: date) -> str:
    return day.strftime("%d/%m")


def charts(rep: report.Report, names: Names) -> dict[str, Markup]:
    """Return the page's charts as inline SVG, by id; nodes in the words of `names`."""
    out = {}
    by_day = pygal.Bar(title="Appels par jour", **CHART, x_label_rotation=45 if rep.span > 10 else 0)
    by_day.x_labels = [_fr(d) for d in rep.days]
    by_day.add("Appels", [_visible(rep.calls_by_day[d]) for d in rep.days])
    out["appels-par-jour"] = _svg(by_day)

    if rep.by_hour_of_day is not None:
        hours = pygal.Bar(title=f"Appels par heure de la journée (sur {rep.span} jours)", **CHART)
        hours.x_labels = [f"{h}h" for h in range(24)]
        hours.x_labels_major_every = 3
        hours.show_minor_x_labels = False
        hours.add("Appels", [_visible(rep.by_hour_of_day[h]) for h in range(24)])
        out["appels-par-heure"] = _svg(hours)

    routes = pygal.HorizontalBar(title="Parcours choisis (d'un menu vers la suite)", **CHART)
    shown = [
        (f"{_label(names.node(node))} → {_label(names.node(target))}", n)
        for (node, target), n in sorted(rep.choices.items(), key=lambda kv: (kv[1], kv[0]))[-12:]
        if _visible(n)
    ]
    routes.x_labels = [label for label, _ in shown]
    routes.add("Choix", [n for _, n in shown])
    out["parcours"] = _svg(routes)

    outcomes = pygal.StackedBar(
        title="Issues des transferts par jour", **CHART, x_label_rotation=45 if rep.span > 10 else 0
    )
    outcomes.x_labels = [_fr(d) for d in rep.days]
    for outcome, label in OUTCOMES_FR.items():
        values = [_visible(rep.outcomes_by_day.get(d, Counter()).get(outcome, 0)) for d in rep.days]
        if any(values):
            outcomes.add(label, values)
    out["transferts"] = _svg(outcomes)

    failure = pygal.Line(
        title="Transferts non aboutis (occupé, sans réponse, échec), % par jour",
        **CHART,
        range=(0, 100),
        x_label_rotation=45 if rep.span > 10 else 0,
    )
    failure.x_labels = [_fr(d) for d in rep.days]
    rates = []
    for d in rep.days:
        day = rep.outcomes_by_day.get(d, Counter())
        total = sum(day.values())
        rates.append(
            round(100 * sum(day.get(o, 0) for o in events.FAILED_DIALS) / total) if total >= report.SMALL else None
        )
    failure.add("% non aboutis", rates)
    out["taux-echec"] = _svg(failure)

    funnel = pygal.HorizontalBar(title="Parcours : arrivées à chaque étape, et appels terminés là", **CHART)
    steps = rep.drop_off()[:12]
    funnel.x_labels = [_label(names.node(node), 2 * SIDE) for node, *_ in steps]
    funnel.add("Arrivées", [_visible(a) for _, a, _, _ in steps])
    funnel.add("Terminés à cette étape", [_visible(c) for *_, c in steps])
    out["entonnoir"] = _svg(funnel)

    durations = pygal.Bar(title="Durée des appels", **CHART)
    labels = list(events.DURATION_LABELS)
    durations.x_labels = labels
    durations.add("Appels", [_visible(rep.durations[label]) for label in labels])
    out["durees"] = _svg(durations)
    return out


@bp.get("/stats")
def page():
    """Show the statistics of a period (default: the last 30 days)."""
    today = datetime.now(report.PARIS).date()
    until = _day("au", today)
    since = _day("du", until - timedelta(days=29))
    if since > until or (until - since).days > 366:
        since = until - timedelta(days=29)
    store = current_app.extensions["ivr.stats"].store
    names = current_app.extensions["ivr"].names
    rep = report.load(store, since, until)
    transfers = [
        [names.service(s), report.shown(started), *(report.shown(o[k]) for k in OUTCOMES_FR), r]
        for s, started, o, _, r in rep.transfer_rows()
    ]
    speech = [[names.node(n), *(report.shown(rep.speech[n][o]) for o in report.SPEECH_OUTCOMES)] for n in rep.spoken()]
    html = render_template(
        "stats/page.html",
        since=since,
        until=until,
        calls=report.shown(rep.calls),
        hidden=report.HIDDEN,
        week=report.WEEK,
        hours=rep.by_hour_of_day is not None,
        figures=[(key, TITLES[key], svg) for key, svg in charts(rep, names).items()],
        transfer_headers=["Service", "Lancés", *OUTCOMES_FR.values(), "Non aboutis"],
        transfers=transfers,
        speech=speech,
    )
    return Response(
        html,
        content_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
            ),
        },
    )


TITLES = {
    "appels-par-jour": "Appels par jour",
    "appels-par-heure": "Heure de la journée",
    "parcours": "Parcours choisis",
    "transferts": "Transferts vers l'équipe d'écoute et les services",
    "taux-echec": "Taux de transferts non aboutis",
    "entonnoir": "Où les appels s'arrêtent",
    "durees": "Durée des appels",
}
