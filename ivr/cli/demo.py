"""A realistic day of simulated calls, played through the app into a statistics database.

Each call walks the flow as a caller would: the first choices more often than the last, now and
then a wrong key, a silence or a hang-up; transfers meet a busy platform more often at peak hours.
Nothing here knows the flow's node names: the walk follows the keys each node offers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from ..flow.model import Department, Menu, Readout, key_moves
from ..simulator.player import Call
from ..simulator.transport import flask_transport
from ..stats.events import COUNTED_SIMULATION
from ..stats.report import PARIS

# Share of a day's calls in each Paris hour: night calls, a midday and an evening peak.
HOURLY = (3, 2, 2, 1, 1, 1, 2, 3, 4, 5, 5, 6, 7, 7, 6, 5, 5, 6, 7, 8, 9, 9, 7, 5)
PEAK_HOURS = frozenset({12, 13, 19, 20, 21, 22})
WRONG_KEYS = "9876"


@dataclass
class DayPlayed:
    """What the simulated day did, to compare with the statistics."""

    calls: int = 0
    transfers: int = 0
    failed_transfers: int = 0


def _node(call: Call) -> str | None:
    gather = call.gather
    if gather is None:
        return None
    return parse_qs(urlsplit(gather.action).query).get("n", [None])[0]


def _choose(flow, node_id: str, rng: random.Random) -> str | None:
    """What the caller does at a keypad prompt: keys, "" for silence, None to hang up."""
    node = flow.nodes.get(node_id)
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.09:
        return ""
    if isinstance(node, Readout):
        return "1" if roll < 0.15 else None  # hear it again, or hang up with the number
    moves = list(key_moves(node)) if node is not None else []
    if roll < 0.14 or not moves:
        offered = {k for k, _ in moves}
        if isinstance(node, Department):
            return "*" + rng.choice(WRONG_KEYS)
        return next((k for k in WRONG_KEYS if k not in offered), "")
    if isinstance(node, Department):
        return rng.choice([k for k, _ in moves] + ["99"])
    weights = [1 / (i + 1) for i in range(len(moves))] if isinstance(node, Menu) else None
    return rng.choices([k for k, _ in moves], weights=weights)[0]


def _dial_outcome(hour: int, rng: random.Random) -> str:
    busy = 0.35 if hour in PEAK_HOURS else 0.05
    roll = rng.random()
    if roll < busy:
        return "busy"
    if roll < busy + 0.06:
        return "no-answer"
    if roll < busy + 0.07:
        return "failed"
    return "completed"


def play_day(app, day: date, calls: int, seed: int = 1) -> DayPlayed:
    """Play `calls` simulated calls spread over a Paris day, counted in the hours they fall in."""
    rng = random.Random(seed)
    recorder = app.extensions["ivr.stats"]
    line = app.extensions["ivr"]
    transport = flask_transport(app, line.settings.auth_token)
    played = DayPlayed()
    hours = rng.choices(range(24), weights=HOURLY, k=calls)
    start_of_day = datetime.combine(day, time(0), PARIS)
    for hour in sorted(hours):
        instant = (start_of_day + timedelta(hours=hour, minutes=rng.randrange(60))).timestamp()
        recorder.clock = lambda at=instant: at
        call = Call(transport, "http://localhost/voice")
        call.account = COUNTED_SIMULATION  # the simulator's own account is never counted
        call.start()
        conversation = 0
        for _ in range(12):
            if call.over:
                break
            if call.dial is not None:
                outcome = _dial_outcome(hour, rng)
                played.transfers += 1
                played.failed_transfers += outcome != "completed"
                conversation += rng.randrange(300, 2400) if outcome == "completed" else 0
                call.answer(outcome)
                continue
            node = _node(call)
            keys = _choose(line.flow, node, rng) if node else None
            if keys is None:
                call.hang_up()
            else:
                call.act(keys if keys else "_")
        if not call.over:
            call.hang_up()
        played.calls += 1
        transport(
            "POST",
            "http://localhost/voice/status",
            {
                "CallSid": call.sid,
                "AccountSid": call.account,
                "CallStatus": "completed",
                "CallDuration": str(int(call.clock) + conversation),
            },
        )
    recorder.flush()
    return played
