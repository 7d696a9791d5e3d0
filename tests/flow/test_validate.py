"""A broken flow refuses to load, with every problem named by file, node and key."""

from __future__ import annotations

import pytest
import yaml

from ivr.errors import FlowError
from ivr.flow.directory import FAMILY
from ivr.flow.model import SYNTHETIC_SEP
from tests.conftest import DataCopy
from tests.paths import FIXTURES


def test_default_flow_is_valid(flow):
    assert flow.entry == "welcome" and flow.operator == "listening_team"
    # The operator's first line (the first ear) serves every caller; the doctors' platform keeps its number.
    assert all(flow.platform.serves(c) for c in (*flow.professions, FAMILY))
    assert flow.services["platform"].dial == "+33800288038"
    assert [old.number for old in flow.superseded] == ["0826 000 401", "0800 800 854"]
    assert all(old.successor == "platform" for old in flow.superseded)


def _option(doc, node, i):
    return doc["nodes"][node]["options"][i]


BROKEN = [
    (
        "dangling target",
        "flow",
        lambda d: _option(d, "doctor_needs", 2).update(target="nowhere"),
        ["data/flow.yaml", "nodes.doctor_needs.options[2].target", "unknown node 'nowhere'"],
    ),
    (
        "unreachable node",
        "flow",
        lambda d: d["nodes"].update(orphan={"type": "readout", "service": "mots"}),
        ["nodes.orphan", "unreachable"],
    ),
    (
        "six choices",
        "flow",
        lambda d: d["nodes"]["doctor_needs"]["options"].append(
            {"key": "6", "say": "opt_social", "target": "social_help"}
        ),
        ["nodes.doctor_needs.options", "6 choices; at most 5"],
    ),
    (
        "reserved key",
        "flow",
        lambda d: _option(d, "welcome", 0).update(key="0"),
        ["nodes.welcome.options[0].key", "reserved"],
    ),
    (
        "hash key",
        "flow",
        lambda d: _option(d, "welcome", 0).update(key="#"),
        ["nodes.welcome.options[0].key", "reserved"],
    ),
    (
        "two-character key",
        "flow",
        lambda d: _option(d, "welcome", 0).update(key="12"),
        ["nodes.welcome.options[0].key", "1-9"],
    ),
    (
        "same key twice",
        "flow",
        lambda d: _option(d, "welcome", 1).update(key="1"),
        ["nodes.welcome.options[1].key", "used twice"],
    ),
    (
        "missing prompt",
        "flow",
        lambda d: d["nodes"]["welcome"]["say"].append("no_such_prompt"),
        ["nodes.welcome.say", "'no_such_prompt'", "prompts/fr.yaml"],
    ),
    (
        "unknown key",
        "flow",
        lambda d: d["nodes"]["welcome"].update(wait="5"),
        ["nodes.welcome.wait", "unknown key 'wait'", "allowed keys: type, intro, say, options, after, operator"],
    ),
    (
        "menu silence too long",
        "flow",
        lambda d: d["nodes"]["welcome"].update(timeout=30),
        ["nodes.welcome.timeout", "a whole number from 1 to 10, got 30"],
    ),
    (
        "menu silence not a number",
        "flow",
        lambda d: d["nodes"]["welcome"].update(timeout="deux"),
        ["nodes.welcome.timeout", "a whole number from 1 to 10, got 'deux'"],
    ),
    (
        "menu after prompt missing",
        "flow",
        lambda d: d["nodes"]["welcome"].update(after=["no_such_prompt"]),
        ["nodes.welcome.after", "'no_such_prompt'", "prompts/fr.yaml"],
    ),
    (
        "unknown type",
        "flow",
        lambda d: d["nodes"]["welcome"].update(type="menuu"),
        ["nodes.welcome.type", "menu, readout, department, transfer"],
    ),
    ("operator not a transfer", "flow", lambda d: d.update(operator="social_help"), ["operator", "transfer node"]),
    ("bad entry", "flow", lambda d: d.update(entry="start"), ["entry", "unknown node 'start'"]),
    (
        "failure node is a transfer",
        "flow",
        lambda d: d["nodes"]["listening_team"].update(on_failure="doctors_line"),
        ["nodes.listening_team.on_failure", "menu or read-out"],
    ),
    (
        "transfer without services",
        "flow",
        lambda d: d["nodes"]["listening_team"].update(services=[]),
        ["nodes.listening_team.services", "list the services to dial"],
    ),
    (
        "département of one digit",
        "councils",
        lambda d: d["councils"].update({"7": {"name": "X", "of": "de X"}}),
        ["data/councils.yaml", "councils.7", "two digits, 2A, 2B or three digits"],
    ),
    (
        "council service unknown",
        "councils",
        lambda d: d["councils"]["75"].update(service="cdo_75"),
        ["councils.75.service", "'cdo_75' is not a service with a number"],
    ),
    (
        "council status without its source",
        "councils",
        lambda d: d["councils"]["75"].update(status="Ce conseil a été dissous."),
        ["data/councils.yaml", "councils.75.source", "needs its source"],
    ),
    (
        "council status in digits",
        "councils",
        lambda d: d["councils"]["75"].update(
            status="Dissous en 2024.", source={"url": "https://example.org", "date": "2026-11-29"}
        ),
        ["councils.75.status", "in words"],
    ),
    (
        "council hours in digits",
        "councils",
        lambda d: d["councils"]["14"].update(hours="De 9 h à 12 h."),
        ["councils.14.hours", "in words"],
    ),
    (
        "council sentence without its name",
        "prompts",
        lambda d: d["prompts"].update(council_found="Son numéro :"),
        ["prompts.council_found", "write {council}"],
    ),
    (
        "transfer to a short number",
        "flow",
        lambda d: d["nodes"]["listening_team"].update(services=["samu"]),
        ["nodes.listening_team.services[0]", "cannot be dialled"],
    ),
    (
        "superseded number",
        "directory",
        lambda d: d["services"]["platform"].update(number="0800 800 854"),
        [
            "services.platform.number",
            "0800 800 854 is superseded since 2019",
            "it was replaced by the current number of service platform",
            "never say or dial it",
        ],
    ),
    (
        "superseded number on another service",
        "directory",
        lambda d: d["services"]["mots"].update(number="0826 000 401"),
        [
            "services.mots.number",
            "0826 000 401 is superseded since 2018-03",
            "it was replaced by 0800 288 038 (service platform)",
        ],
    ),
    (
        "unknown successor",
        "directory",
        lambda d: d["superseded"][0].update(successor="plateforme"),
        ["superseded[0].successor", "unknown service 'plateforme'"],
    ),
    (
        "checked is no longer read",
        "directory",
        lambda d: d["services"]["mots"].update(checked="2026-11-24"),
        [
            "services.mots.checked",
            "no longer read",
            "`date: YYYY-MM-DD`",
            "`called: YYYY-MM-DD` only if someone called",
        ],
    ),
    (
        "called not a date",
        "directory",
        lambda d: d["services"]["mots"].update(called="24/11/2026"),
        ["services.mots.called", "'24/11/2026' is not a day", "called: YYYY-MM-DD"],
    ),
    (
        "seed dated wrong",
        "directory",
        lambda d: d["services"]["mots"]["source"][0].update(date="bulletin 2018"),
        ["services.mots.source[0]", "only when the document says when it was written"],
    ),
    (
        "four digits not an 08 number",
        "directory",
        lambda d: d["services"]["mots"].update(number="0612 34 56 78"),
        ["services.mots.number", 'must be written in groups as it is read aloud: write "06 12 34 56 78"'],
    ),
    (
        "invalid number",
        "directory",
        lambda d: d["services"]["mots"].update(number="06 08 28 25 8"),
        ["data/directory.yaml", "services.mots.number", "neither a valid French number"],
    ),
    (
        "number in one block",
        "directory",
        lambda d: d["services"]["mots"].update(number="0612345678"),
        ["services.mots.number", 'must be written in groups as it is read aloud: write "06 12 34 56 78"'],
    ),
    (
        "invalid short number",
        "directory",
        lambda d: d["services"]["samu"].update(number="12 34"),
        ["services.samu.number", "short number"],
    ),
    (
        "number without source",
        "directory",
        lambda d: d["services"]["mots"].pop("source"),
        ["services.mots.source", "needs its source"],
    ),
    (
        "public source without date",
        "directory",
        lambda d: d["services"]["samu"]["source"].pop("date"),
        ["services.samu.source", "date: YYYY-MM-DD"],
    ),
    (
        "digits in a prompt",
        "prompts",
        lambda d: d["prompts"].update(greeting="Appelez le 15."),
        ["prompts/fr.yaml", "prompts.greeting", "digits"],
    ),
    (
        "unknown placeholder",
        "prompts",
        lambda d: d["prompts"].update(emergency="Appelez le {samu_}."),
        ["prompts.emergency", "unknown service(s) or phrase(s) 'samu_'"],
    ),
    (
        "sentence cut before a number",
        "prompts",
        lambda d: d["prompts"].update(social_intro="Appelez le"),
        ["prompts.social_intro", "ends on an article or a preposition", "Son numéro :"],
    ),
    (
        "unknown condition",
        "prompts",
        lambda d: d["when"].update(cheap="pas cher"),
        ["when.cheap", "unknown condition 'cheap'", "anonymous", "free"],
    ),
    (
        "phrase named like a service",
        "prompts",
        lambda d: d["phrases"].update(samu="le samu"),
        ["phrases.samu", "also a service"],
    ),
    ("system prompt removed", "prompts", lambda d: d["prompts"].pop("wrong_key"), ["prompts.wrong_key", "missing"]),
    (
        "unknown top-level key",
        "prompts",
        lambda d: d.update(promts={}),
        ["promts", "allowed keys: phrases, when, prompts"],
    ),
]


@pytest.mark.parametrize(("name", "file", "change", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_kind_of_broken_flow_is_refused_with_a_clear_message(data_copy, name, file, change, expected):
    data_copy.edit(file, change)
    with pytest.raises(FlowError) as info:
        data_copy.load()
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message}"


def test_every_problem_is_reported_at_once(data_copy):
    data_copy.edit(
        "flow",
        lambda d: (_option(d, "welcome", 0).update(key="0"), _option(d, "doctor_needs", 1).update(target="nowhere")),
    )
    data_copy.edit("prompts", lambda d: d["prompts"].update(greeting="Le 15."))
    with pytest.raises(FlowError) as info:
        data_copy.load()
    wheres = [p.where for p in info.value.problems]
    assert "nodes.welcome.options[0].key" in wheres
    assert "nodes.doctor_needs.options[1].target" in wheres
    assert "prompts.greeting" in wheres


def test_malformed_yaml_names_file_and_line(data_copy):
    path = data_copy.path("flow")
    path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    with pytest.raises(FlowError) as info:
        data_copy.load()
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.file == "data/flow.yaml" and problem.where.startswith("line ")


def test_duplicate_yaml_keys_are_refused(data_copy):
    path = data_copy.path("prompts")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nprompts:\n", "\nprompts:\n  greeting: Bonjour.\n"), encoding="utf-8")
    with pytest.raises(FlowError, match="duplicate key 'greeting'"):
        data_copy.load()


def test_yaml_keeps_keys_and_words_as_typed(data_copy):
    """`1`, `yes`, `on` and `0800` stay text: no integer key, no boolean, no octal."""
    path = data_copy.path("flow")
    text = path.read_text(encoding="utf-8").replace('{key: "2", say: opt_pharmacist', "{key: 2, say: opt_pharmacist")
    assert "{key: 2, say" in text
    path.write_text(text, encoding="utf-8")
    flow = data_copy.load()
    assert flow.nodes["welcome"].option("2").target == "pharmacist_line"
    from ivr.flow.yamlfile import load_yaml

    path.write_text("a: yes\nb: on\nc: 0800\nd: 14\ne: true\n", encoding="utf-8")
    assert load_yaml(path) == {"a": "yes", "b": "on", "c": "0800", "d": "14", "e": True}


def test_missing_file_is_named(data_copy):
    data_copy.path("directory").unlink()
    with pytest.raises(FlowError, match=r"data/directory.yaml: cannot read the file"):
        data_copy.load()


def test_flow_is_frozen(flow):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.nodes["welcome"].say = ()
    with pytest.raises(TypeError):
        flow.nodes["x"] = None


def _problem(data_copy, written: str, instead: str) -> tuple[int, str]:
    """Write `instead` where data/flow.yaml has `written`: the only problem, and the line it is on."""
    path = data_copy.path("flow")
    text = path.read_text(encoding="utf-8")
    assert text.count(written) == 1
    path.write_text(text.replace(written, instead), encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if written in s)
    with pytest.raises(FlowError) as info:
        data_copy.load()
    [problem] = info.value.problems
    return line, str(problem)


def _known_nodes(flow):
    return ", ".join(sorted(n for n in flow.nodes if SYNTHETIC_SEP not in n))


def test_a_misspelt_node_is_named_with_the_closest_one(data_copy, flow):
    line, message = _problem(data_copy, "target: social_help}", "target: social_hlep}")
    assert message == (
        f"data/flow.yaml:{line} [nodes.doctor_needs.options[3].target]: unknown node 'social_hlep'; "
        f"did you mean 'social_help'? known nodes: {_known_nodes(flow)}"
    )


def test_a_misspelt_service_is_named_with_the_closest_one(data_copy, flow):
    line, message = _problem(data_copy, "service: social_service", "service: social_servise")
    assert message == (
        f"data/flow.yaml:{line} [nodes.social_help.service]: unknown service 'social_servise'; "
        f"did you mean 'social_service'? known services: {', '.join(sorted(flow.services))}"
    )


def test_a_misspelt_prompt_is_named_with_the_closest_ones(data_copy):
    line, message = _problem(data_copy, "say: opt_social,", "say: opt_socail,")
    assert message == (
        f"data/flow.yaml:{line} [nodes.doctor_needs.options[3].say]: prompt 'opt_socail' is not in prompts/fr.yaml; "
        "did you mean 'opt_social' or 'opt_complaint'?"
    )


def test_a_name_close_to_nothing_gets_no_guess(data_copy, flow):
    line, message = _problem(data_copy, "target: social_help}", "target: nowhere}")
    assert message == (
        f"data/flow.yaml:{line} [nodes.doctor_needs.options[3].target]: unknown node 'nowhere'; "
        f"known nodes: {_known_nodes(flow)}"
    )


SMALL = FIXTURES / "callers"
PROMPTS_FILE = "prompts/fr.yaml"


def _small_problems(tmp_path, file: str, change) -> list[tuple[str, str, str]]:
    """Every problem of the small flow of the tests once changed: (file, where, message), in order."""
    copy = DataCopy(tmp_path, source=SMALL)
    copy.edit(file, change)
    with pytest.raises(FlowError) as info:
        copy.load()
    return [(p.file, p.where, p.message) for p in info.value.problems]


def _missing(where: str, key: str) -> tuple[str, str, str]:
    return ("data/flow.yaml", where, f"prompt {key!r} is not in {PROMPTS_FILE}")


SMALL_BROKEN = [
    (
        "menu intro",
        lambda d: d["nodes"]["welcome"].update(intro=["zzz_a"]),
        [_missing("nodes.welcome.intro", "zzz_a")],
    ),
    (
        "transfer intro",
        lambda d: d["nodes"]["care_line"].update(intro=["zzz_a", "stay", "zzz_b"]),
        [_missing("nodes.care_line.intro", "zzz_a"), _missing("nodes.care_line.intro", "zzz_b")],
    ),
    (
        "option label",
        lambda d: d["nodes"]["doctor_needs"]["options"][0].update(say="zzz_a"),
        [_missing("nodes.doctor_needs.options[0].say", "zzz_a")],
    ),
    (
        "read-out say and after",
        lambda d: d["nodes"]["other_lines"].update(say=["zzz_a"], after=["zzz_b"], intro=["zzz_c"]),
        [
            _missing("nodes.other_lines.intro", "zzz_c"),
            _missing("nodes.other_lines.say", "zzz_a"),
            _missing("nodes.other_lines.after", "zzz_b"),
        ],
    ),
    (
        "menu say and after",
        lambda d: d["nodes"]["welcome"].update(say=["zzz_a"], after=["zzz_b"]),
        [_missing("nodes.welcome.say", "zzz_a"), _missing("nodes.welcome.after", "zzz_b")],
    ),
    (
        "unknown service read out",
        lambda d: d["nodes"]["other_lines"].update(service="zzz"),
        [
            (
                "data/flow.yaml",
                "nodes.other_lines.service",
                "unknown service 'zzz'; known services: adop, platform, sps, suicide_line",
            )
        ],
    ),
    (
        "unknown service dialled",
        lambda d: d["nodes"]["care_line"].update(services=["sps", "zzz"]),
        [
            (
                "data/flow.yaml",
                "nodes.care_line.services[1]",
                "unknown service 'zzz'; known services: adop, platform, sps, suicide_line",
            )
        ],
    ),
    (
        "one try only",
        lambda d: d["nodes"]["care_line"].update(services=["sps"]),
        [
            (
                "data/flow.yaml",
                "nodes.care_line.services",
                "a second try before any number: after the first service, list another 24/7 line that serves these "
                "callers (or the same one again), so that nobody answering means another person is called before a "
                "number is read",
            )
        ],
    ),
    (
        "a node's own operator is not a transfer",
        lambda d: d["nodes"]["care_other_lines"].update(operator="other_lines"),
        [
            (
                "data/flow.yaml",
                "nodes.care_other_lines.operator",
                "must name a transfer node (who 0 and silence reach from here), got 'other_lines'; known nodes: "
                "care_line, care_other_lines, doctor_needs, doctors_line, doctors_other_lines, listening_team, "
                "other_lines, pharmacist_line, pharmacist_other_lines, welcome",
            )
        ],
    ),
    (
        "unreachable",
        lambda d: d["nodes"].update(lost={"type": "readout", "service": "sps"}),
        [("data/flow.yaml", "nodes.lost", "unreachable: no path from the entry node 'welcome' leads here")],
    ),
    (
        "unknown caller",
        lambda d: d["nodes"]["welcome"]["options"][2].update(callers=["infirmier", "zzz"]),
        [
            (
                "data/flow.yaml",
                "nodes.welcome.options[2].callers",
                "unknown profession 'zzz': known: famille, infirmier, medecin, pharmacien "
                "(data/directory.yaml, professions)",
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), SMALL_BROKEN, ids=[b[0] for b in SMALL_BROKEN])
def test_each_problem_of_a_small_flow_and_nothing_else(tmp_path, name, change, expected):
    assert _small_problems(tmp_path, "flow", change) == expected


def test_a_missing_prompt_close_to_none_gets_no_guess(tmp_path):
    change = lambda d: d["nodes"]["welcome"].update(after=["qqqqqqqq"])  # noqa: E731
    assert _small_problems(tmp_path, "flow", change) == [_missing("nodes.welcome.after", "qqqqqqqq")]


# -- the first ear, and who each line serves: the rules, on the small flow of the tests ---------------
SMALL_SERVICES = yaml.safe_load((SMALL / "data" / "directory.yaml").read_text(encoding="utf-8"))["services"]
EVERYONE_ELSE = "infirmier, pharmacien, famille"  # whom the small flow's platform (doctors only) does not serve
FIRST_EAR_ADVICE = (
    "(data/directory.yaml); until a caller says who they are, the first line dialled and every number said must "
    "serve every caller: put such a line first (SPS serves every health professional, student and family)"
)


def _number(service: str) -> str:
    """The number the small flow's own directory gives a service (never the shipped one's)."""
    return SMALL_SERVICES[service]["number"]


def _first_ear(node: str, route: str, how: str, service: str, left_out: str) -> tuple[str, str, str]:
    return (
        "data/flow.yaml",
        f"nodes.{node}",
        f"route {route!r}: a caller who has not said who they are reaches {node}, which {how} {service} "
        f"({_number(service)}), "
        f"a line that does not serve {left_out} {FIRST_EAR_ADVICE}",
    )


def _served(node: str, route: str, who: str, how: str, service: str, serves: str) -> tuple[str, str, str]:
    return (
        "data/flow.yaml",
        f"nodes.{node}",
        f"route {route!r}: callers who said they are {who} reach {node}, which {how} {service} "
        f"({_number(service)}), a service for {serves} only (data/directory.yaml); give them a line that serves "
        "them, or change the choice's callers",
    )


FIRST_EAR_BROKEN = [
    (
        "the doctors' platform first for whoever has not said who they are",
        "flow",
        lambda d: d["nodes"]["listening_team"].update(services=["platform", "sps"]),
        [_first_ear("listening_team", "0", "puts them through first to", "platform", EVERYONE_ELSE)],
    ),
    (
        "a line without families first",
        "directory",
        lambda d: d["services"]["sps"].pop("families"),
        [
            _served(
                "care_line",
                "3",
                "famille (a relative of a health professional)",
                "puts them through to",
                "sps",
                "medecin, infirmier, pharmacien",
            ),
            _served(
                "care_other_lines",
                "3 (nobody answers)",
                "famille (a relative of a health professional)",
                "names, in a sentence,",
                "sps",
                "medecin, infirmier, pharmacien",
            ),
            _first_ear("listening_team", "0", "puts them through first to", "sps", "famille"),
            _first_ear("other_lines", "0 (nobody answers)", "names, in a sentence,", "sps", "famille"),
        ],
    ),
    (
        "a doctors' number read to whoever has not said who they are",
        "flow",
        lambda d: d["nodes"]["other_lines"].update(service="platform", after=[]),
        [_first_ear("other_lines", "0 (nobody answers)", "reads them", "platform", EVERYONE_ELSE)],
    ),
    (
        "a doctors' number named to whoever has not said who they are",
        "flow",
        lambda d: d["nodes"]["other_lines"].update(after=["platform_after"]),
        [_first_ear("other_lines", "0 (nobody answers)", "names, in a sentence,", "platform", EVERYONE_ELSE)],
    ),
    (
        "the doctors' operator where the caller has not said who they are",
        "flow",
        lambda d: (d.update(operator="doctors_line"), d["nodes"].pop("listening_team"), d["nodes"].pop("other_lines")),
        [
            _first_ear("doctors_line", "0", "puts them through first to", "platform", EVERYONE_ELSE),
            _first_ear(
                "doctors_other_lines",
                "0 (nobody answers)",
                "names, in a sentence,",
                "platform",
                EVERYONE_ELSE,
            ),
        ],
    ),
    (
        "the first menu's doctors' choice without its callers",
        "flow",
        lambda d: d["nodes"]["welcome"]["options"][0].pop("callers"),
        [
            _first_ear("doctors_line", "1 1", "puts them through first to", "platform", EVERYONE_ELSE),
            _first_ear(
                "doctors_other_lines",
                "1 1 (nobody answers)",
                "names, in a sentence,",
                "platform",
                EVERYONE_ELSE,
            ),
        ],
    ),
    (
        "two callers of one choice put through to a line for one of them",
        "flow",
        lambda d: (
            d["nodes"]["welcome"]["options"][2].update(target="doctors_line"),
            d["nodes"].pop("care_line"),
            d["nodes"].pop("care_other_lines"),
        ),
        [
            _served(
                "doctors_line",
                "3",
                "famille (a relative of a health professional), infirmier (infirmier)",
                "puts them through to",
                "platform",
                "medecin",
            ),
            _served(
                "doctors_other_lines",
                "3 (nobody answers)",
                "famille (a relative of a health professional), infirmier (infirmier)",
                "names, in a sentence,",
                "platform",
                "medecin",
            ),
        ],
    ),
    (
        "a caller read a number for others",
        "flow",
        lambda d: d["nodes"]["pharmacist_other_lines"].update(service="adop", operator="pharmacist_line"),
        [],
    ),
    (
        "a profession nobody chooses, and the line for whoever stays does not serve",
        "directory",
        lambda d: d["professions"].update(sage_femme="sage-femme"),
        [
            _first_ear("listening_team", "0", "puts them through first to", "sps", "sage_femme"),
            _first_ear("other_lines", "0 (nobody answers)", "names, in a sentence,", "sps", "sage_femme"),
            (
                "data/flow.yaml",
                "nodes",
                "no menu choice has profession 'sage_femme' (sage-femme) among its callers, and the line a caller "
                "reaches by staying on the line (sps) does not serve them: say which choice these callers press",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("name", "file", "change", "expected"), FIRST_EAR_BROKEN, ids=[b[0] for b in FIRST_EAR_BROKEN])
def test_the_first_ear_and_the_lines_each_caller_reaches_are_refused_with_the_exact_problem(
    tmp_path, name, file, change, expected
):
    copy = DataCopy(tmp_path, source=SMALL)
    copy.edit(file, change)
    if not expected:
        copy.load()
        return
    with pytest.raises(FlowError) as info:
        copy.load()
    assert [(p.file, p.where, p.message) for p in info.value.problems] == expected


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d["nodes"]["listening_team"].update(services=["sps", "platform"]), "later tries may be other lines"),
        (lambda d: d["nodes"]["welcome"]["options"][2].update(callers=["famille"]), "nurses stay, for SPS"),
        (lambda d: d["nodes"]["other_lines"].update(service="sps"), "a line for everyone, read"),
    ],
    ids=["platform second", "a profession that stays on the line", "read a line for everyone"],
)
def test_what_the_first_ear_allows(tmp_path, change, why):
    copy = DataCopy(tmp_path, source=SMALL)
    copy.edit("flow", change)
    assert copy.load().nodes, why


def test_a_profession_served_by_the_first_ear_needs_no_choice_of_its_own(tmp_path):
    """Every profession a choice does not name stays on the line: the line for everyone serves them."""
    copy = DataCopy(tmp_path, source=SMALL)
    copy.edit("directory", lambda d: d["professions"].update(sage_femme="sage-femme"))
    copy.edit("directory", lambda d: d["services"]["sps"]["professions"].append("sage_femme"))
    flow = copy.load()
    assert "sage_femme" in flow.professions
    assert flow.services[flow.nodes[flow.operator].services[0]].serves("sage_femme")


def test_the_shipped_flow_keeps_the_first_ear_for_everyone(flow):
    """The shipped data, validated (not pinned): whoever has not said who they are reaches first a line for
    every caller, and every profession is served by a choice or by staying on the line."""
    first = flow.services[flow.nodes[flow.operator].services[0]]
    assert all(first.serves(c) for c in (*flow.professions, "famille"))
