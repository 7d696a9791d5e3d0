"""What staff see: counters summed over days, small counts hidden, never an hour of one route.

Small numbers identify people (one call at 3 a.m. on the assault route): routes and outcomes are
shown by day or over the whole period, any count from 1 to 2 is shown as "< 3", and the hour-of-day
profile sums over at least a week. Only the failure alert (recorder.py) reads single hours.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..flow.names import Name, Names
from ..flow.speech import OUTCOMES as SPEECH_OUTCOMES
from . import events
from .store import Row, Store

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")
SMALL = 3  # counts below this (but not 0) are shown as "< 3"
HIDDEN = "< 3"
WEEK = 7  # days the hour-of-day profile needs at least
GONE = "(no longer in the flow)"  # after the id of a node or service the flow has lost since it was counted


def shown(n: int) -> int | str:
    """Return a count as it may be shown: "< 3" for 1 and 2."""
    return HIDDEN if 0 < n < SMALL else n


def rate(part: int, whole: int) -> str:
    """Return a share in per cent, or "–" when the whole is too small to show."""
    return "–" if whole < SMALL else f"{100 * part / whole:.0f} %"


def utc_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """Return the naive UTC instants that bound the Paris days since..until (both included)."""
    start = datetime.combine(since, time(0), PARIS).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(until + timedelta(days=1), time(0), PARIS).astimezone(UTC).replace(tzinfo=None)
    return start, end


def paris(hour: datetime) -> datetime:
    """Return a stored hour (naive UTC) in Paris time."""
    return hour.replace(tzinfo=UTC).astimezone(PARIS)


@dataclass
class Report:
    """The statistics of Paris days since..until, summed from hourly counters."""

    since: date
    until: date
    days: list[date] = field(default_factory=list)
    calls_by_day: Counter = field(default_factory=Counter)
    calls: int = 0
    choices: Counter = field(default_factory=Counter)  # (node, target) -> n
    choices_by_day: dict[date, Counter] = field(default_factory=dict)
    reached: Counter = field(default_factory=Counter)
    left: Counter = field(default_factory=Counter)
    silences: Counter = field(default_factory=Counter)
    wrong_keys: Counter = field(default_factory=Counter)
    speech: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # node -> outcome -> n
    numbers: Counter = field(default_factory=Counter)
    transfers: Counter = field(default_factory=Counter)
    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    outcomes_by_day: dict[date, Counter] = field(default_factory=dict)  # day -> (outcome) -> n, all services
    durations: Counter = field(default_factory=Counter)
    fallbacks: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    lost: int = 0
    by_hour_of_day: Counter | None = None  # None when the period is shorter than a week

    @property
    def span(self) -> int:
        """Return the number of days covered."""
        return (self.until - self.since).days + 1

    def drop_off(self) -> list[tuple[str, int, int, int]]:
        """Return (node, reached, left by a choice, ended there), most reached first."""
        nodes = sorted(self.reached, key=lambda n: (-self.reached[n], n))
        return [(n, self.reached[n], self.left[n], max(0, self.reached[n] - self.left[n])) for n in nodes]

    def spoken(self) -> list[str]:
        """Return the nodes where words were said, most words first."""
        return sorted(self.speech, key=lambda n: (-sum(self.speech[n].values()), n))

    def transfer_rows(self) -> list[tuple[str, int, Counter, int, str]]:
        """Return (service, started, outcomes, failed, failure rate) per service."""
        rows = []
        for service in sorted(set(self.transfers) | set(self.outcomes)):
            outcomes = self.outcomes[service]
            failed = sum(outcomes[o] for o in events.FAILED_DIALS)
            rows.append((service, self.transfers[service], outcomes, failed, rate(failed, sum(outcomes.values()))))
        return rows


# Events summed by subject (a node or a service), or by outcome, into the report's counters.
BY_SUBJECT = {
    events.REACHED: "reached",
    events.SILENCE: "silences",
    events.WRONG_KEY: "wrong_keys",
    events.NUMBER: "numbers",
    events.TRANSFER: "transfers",
}
BY_OUTCOME = {events.ENDED: "durations", events.FALLBACK: "fallbacks", events.FAULT: "faults"}


def build(rows: list[Row], since: date, until: date) -> Report:
    """Sum hourly rows into a report over Paris days."""
    report = Report(since=since, until=until)
    report.days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    hours: Counter = Counter()
    for row in rows:
        local = paris(row.hour)
        day, n, e = local.date(), row.count, row.event
        if e == events.CALL:
            report.calls += n
            report.calls_by_day[day] += n
            hours[local.hour] += n
        elif e == events.CHOICE:
            report.choices[(row.subject, row.outcome)] += n
            report.choices_by_day.setdefault(day, Counter())[(row.subject, row.outcome)] += n
            report.left[row.subject] += n
        elif e == events.SPEECH:
            report.speech[row.subject][row.outcome] += n
        elif e == events.TRANSFER_END:
            report.outcomes[row.subject][row.outcome] += n
            report.outcomes_by_day.setdefault(day, Counter())[row.outcome] += n
        elif e in BY_SUBJECT:
            getattr(report, BY_SUBJECT[e])[row.subject] += n
        elif e in BY_OUTCOME:
            getattr(report, BY_OUTCOME[e])[row.outcome] += n
        elif e == events.LOST:
            report.lost += n
    if report.span >= WEEK:
        report.by_hour_of_day = hours
    return report


def load(store: Store, since: date, until: date) -> Report:
    """Read the counters of Paris days since..until (both included) and sum them."""
    start, end = utc_bounds(since, until)
    return build(store.rows(since=start, until=end), since, until)


def said(name: Name) -> str:
    """Return a name as a command shows it: its words, or its id marked as no longer in the flow."""
    return name.words if name.known else f"{name.id} {GONE}"


def sections(report: Report, names: Names | None = None) -> dict[str, list[dict]]:
    """Return the report as named tables of rows, every count already suppressed; nodes and services
    in the words of `names` (None: their ids)."""

    def node(nid: str) -> str:
        return said(names.node(nid)) if names is not None else nid

    def service(sid: str) -> str:
        return said(names.service(sid)) if names is not None else sid

    out: dict[str, list[dict]] = {
        "calls": [{"day": d.isoformat(), "calls": shown(report.calls_by_day[d])} for d in report.days],
        "routes": [
            {"from": node(a), "to": node(b), "count": shown(n)}
            for (a, b), n in sorted(report.choices.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "transfers": [
            {
                "service": service(s),
                "started": shown(started),
                **{o: shown(outcomes[o]) for o in ("completed", "busy", "no-answer", "failed", "canceled")},
                "failure rate": r,
            }
            for s, started, outcomes, _, r in report.transfer_rows()
        ],
        "drop-off": [
            {
                "node": node(n),
                "reached": shown(a),
                "left by a choice": shown(b),
                "ended there": shown(c),
                "silences": shown(report.silences[n]),
                "wrong keys": shown(report.wrong_keys[n]),
            }
            for n, a, b, c in report.drop_off()
        ],
        "speech": [
            {"node": node(n), **{o: shown(report.speech[n][o]) for o in SPEECH_OUTCOMES}} for n in report.spoken()
        ],
        "numbers read": [{"service": service(s), "count": shown(n)} for s, n in sorted(report.numbers.items())],
        "durations": [
            {"duration": label, "calls": shown(report.durations[label])}
            for label in (*events.DURATION_LABELS, events.OTHER)
            if report.durations[label]
        ],
        "fallback and faults": (
            [{"what": f"fallback {code}", "count": shown(n)} for code, n in sorted(report.fallbacks.items())]
            + [{"what": f"fault {kind}", "count": shown(n)} for kind, n in sorted(report.faults.items())]
            + ([{"what": "counts lost (database unavailable)", "count": report.lost}] if report.lost else [])
        ),
    }
    if report.by_hour_of_day is not None:
        out["hour of day"] = [{"hour": f"{h:02d}h", "calls": shown(report.by_hour_of_day[h])} for h in range(24)]
    return out


def summary(report: Report) -> dict[str, int | str]:
    """Return the period at a glance, every count already suppressed."""
    outcomes = Counter[str]()
    for counter in report.outcomes.values():
        outcomes.update(counter)
    ended = sum(outcomes.values())
    failed = sum(outcomes[o] for o in events.FAILED_DIALS)
    return {
        "calls": shown(report.calls),
        "days with calls": sum(1 for d in report.days if report.calls_by_day[d]),
        "days": len(report.days),
        "transfers": shown(sum(report.transfers.values())),
        "put through": shown(outcomes["completed"]),
        "transfers not answered": shown(failed),
        "failure rate": rate(failed, ended),
        "numbers read": shown(sum(report.numbers.values())),
    }


def summary_line(report: Report) -> str:
    """Return the summary as one sentence."""
    s = summary(report)
    return (
        f"Summary: {s['calls']} call(s) on {s['days with calls']} of {s['days']} day(s); "
        f"{s['transfers']} transfer(s): {s['put through']} put through, {s['transfers not answered']} not answered "
        f"(failure rate {s['failure rate']}); {s['numbers read']} number(s) read."
    )


def as_json(report: Report, names: Names | None = None) -> str:
    """Return the report as JSON."""
    tables = sections(report, names)
    body = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "calls": shown(report.calls),
        "summary": summary(report),
        **{name: rows for name, rows in tables.items() if name != "calls"},
        "calls by day": tables["calls"],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def as_csv(report: Report, names: Names | None = None) -> str:
    """Return the report as CSV: section, item, measure, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "item", "measure", "value"])
    for name, rows in sections(report, names).items():
        for row in rows:
            values = list(row.items())
            item = " → ".join(str(v) for _, v in values[:2]) if name == "routes" else str(values[0][1])
            for measure, value in values[2 if name == "routes" else 1 :]:
                writer.writerow([name, item, measure, value])
    return buffer.getvalue()


def as_table(report: Report, names: Names | None = None) -> str:
    """Return the report as plain text tables."""
    lines = [
        f"Statistics from {report.since} to {report.until} (Paris days): {shown(report.calls)} call(s) "
        f'answered; counts of 1 or 2 are shown as "{HIDDEN}".',
        summary_line(report),
    ]
    for name, rows in sections(report, names).items():
        lines.append("")
        lines.append(f"## {name}")
        quiet: list[str] = []
        if name == "calls":  # the days with calls first, then how many had none
            without = sum(1 for r in rows if r["calls"] == 0)
            quiet = [f"({without} day(s) without calls)"] if without else []
            rows = [r for r in rows if r["calls"] != 0]
        if not rows:
            lines.extend(quiet or ["(none)"])
            continue
        headers = list(rows[0])
        cells = [[str(r[h]) for h in headers] for r in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)
        lines.extend(quiet)
    if report.by_hour_of_day is None:
        lines.append("")
        lines.append(f"(the hour-of-day profile needs at least {WEEK} days: use --since)")
    return "\n".join(lines) + "\n"


FORMATS = {"table": as_table, "csv": as_csv, "json": as_json}
