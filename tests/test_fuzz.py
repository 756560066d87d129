"""Hostile scenario files: the loader and ``simkit run`` answer every one cleanly and quickly.

Inputs are generated (documents close to a valid scenario with random values put in:
unicode, binary, huge and non-finite numbers, deep nesting, odd keys) and mutated (the
shipped scenarios and every file of tests/data cut short, spliced, sprinkled with YAML
anchors, aliases, tags, control characters, unicode digits and huge numbers, flipped
byte by byte), plus generated alias bombs and deeply nested documents.  Whatever the
input:

* :func:`simkit.scenario.loads` returns a scenario or raises ``ScenarioError`` with a
  located, stated reason (never its catch-all "cannot read this scenario (...)");
* ``simkit run`` (``cli.main`` in-process) exits 0, 1 or 2, with no traceback and, for
  an invalid file, one line naming the file;
* each input takes bounded time (and a bomb is refused in under a second, with little
  memory).

A defect these inputs reach can be listed in :data:`KNOWN_DEFECTS` while it is open:
its inputs are then set aside (and counted as hypothesis events). The list is empty:
the defects found so far are fixed and have regression tests at the end of this file.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import time
import traceback
import tracemalloc
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from simkit.cli import main
from simkit.scenario import MAX_NODES, OPERATIONS, loads
from simkit.values.errors import ScenarioError

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
#: Files every mutation starts from: valid scenarios and the malformed corpus.
SEEDS = {p.name: p.read_bytes() for p in sorted(
    [*DATA.glob("*/*.yaml"), *(ROOT / "scenarios").glob("*.yaml")])}

#: Seconds any single input may take (load and run), on a loaded shared machine.
TIME_LIMIT = 5.0
#: The loader's catch-all for an unexpected internal error: a stated problem never uses it.
INTERNAL = "cannot read this scenario ("
#: More generated requests than this make a run long but not wrong: such inputs only load.
MAX_GENERATED = 2_000

MINIMAL = {
    "version": 1,
    "name": "fuzz",
    "seed": 3,
    "org": {"management_account": "mgmt", "accounts": ["net"],
            "folders": [{"name": "Business", "accounts": ["shop"]}],
            "external_accounts": ["partner"]},
    "ipams": [{"id": "ipam-1", "owner": "net", "region": "r1", "operating_regions": ["r1"],
               "pools": [{"id": "corp", "cidrs": ["10.0.0.0/16"]},
                         {"id": "hz", "source": "corp", "region": "r1", "masks": [20],
                          "rules": {"min_mask": 20, "max_mask": 28, "default_mask": 24}}]}],
    "vpcs": [{"id": "vpc-old", "owner": "net", "region": "r1", "cidr": "172.16.0.0/16"}],
    "steps": [
        {"op": "create_resource_share", "as": "net", "share": "rs", "resources": ["hz"],
         "principals": ["folder:Business", "partner"], "allow_external": True},
        {"op": "create_vpc", "as": "shop", "vpc": "v1", "pool": "hz", "mask": 24},
        {"advance": "2d"},
        {"op": "create_ipam_pool_allocation", "as": "net", "pool": "hz", "mask": 26},
        {"check": {"pool": "hz", "allocated_ips": 320}},
    ],
    "demand": [{"as": "net", "pool": "hz", "masks": {26: 0.5, 27: 0.5}, "count": 5,
                "every": "1d", "lifetime": "2d"}],
}

#: Words of the format, so that generated keys and values often mean something.
VOCABULARY = ["version", "name", "org", "ipams", "steps", "demand", "op", "as", "pool", "vpc",
              "mask", "cidr", "masks", "cidrs", "expect", "error", "check", "advance", "at",
              "count", "every", "rate", "lifetime", "begin", "region", "rules", "source",
              "principals", "resources", "share", "allocation", "quotas", "seed", "start",
              "create_vpc", "net", "shop", "mgmt", "partner", "hz", "corp", "rd",
              "folder:Business", "10.0.0.0/24", "10.0.0.1/24", "2001:db8::/32", "1d", "3/d",
              "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "Forbidden", "any", "<<"]

#: Pieces of hostile YAML and text spliced into files.
TOKENS = ["&a ", "*a", "*nowhere ", "<<: *a\n", "<<: [*a, *a]\n", "!!binary aGVsbG8=",
          "!!python/object/apply:os.system ['true']", "!!float ", "!!int ", "!!timestamp ",
          "!!set ", "!!omap ", "!custom ", "? ", "{", "}", "[", "]", ": ", "- ", ", ", "\t",
          "\x00", "\x07", "\ufeff", "\u2028", "\x85", "\ud7ff", "𝕊𝕚𝕞", "名前", "'", '"', "|\n",
          ">-\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "9" * 400,
          "-" + "9" * 40, "1e999", "-1e-999", ".nan", "-.inf", "0x1F", "0o17", "1_000",
          "2026-02-30", "24:00:00", "/²", "/٢٤", "１０", "\n  ", "#", "~", "null", "yes",
          "\\u0000", "\"\\ud800\"", "[" * 70, "{a: " * 70]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=16),
    st.binary(max_size=8), st.dates(), st.datetimes(timezones=st.sampled_from([UTC, None])),
    st.sampled_from(VOCABULARY))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(VOCABULARY) | st.text(max_size=6) | st.integers(-3, 40), inner,
        max_size=4),
    max_leaves=16)
#: Values a scenario may well hold, so that many generated files are valid and run.
plausible = st.sampled_from(VOCABULARY) | st.integers(0, 40) | st.sampled_from(
    [[], {}, ["10.0.0.0/24"], [24], {"min_mask": 16}, {"error": "Forbidden"}, "any"])


@st.composite
def documents(draw) -> str:
    """A scenario close to :data:`MINIMAL` with random values put in, dumped as YAML."""
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))            # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        node = doc
        while True:                                          # walk down to some container
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            children = [k for k in keys if isinstance(node[k], dict | list)]
            if not children or draw(st.integers(0, 2)) == 0:
                break
            node = node[draw(st.sampled_from(children))]
        new = copy.deepcopy(draw(values if draw(st.booleans()) else plausible))
        if isinstance(node, dict):
            key = draw(st.sampled_from(list(node) + VOCABULARY[:8]))
            if node and draw(st.integers(0, 4)) == 0:
                node.pop(key, None)
            else:
                node[key] = new
        elif node and draw(st.booleans()):
            node[draw(st.integers(0, len(node) - 1))] = new
        else:
            node.append(new)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=draw(st.booleans()),
                          default_flow_style=draw(st.sampled_from([False, None, True])))


MASKS = st.integers(-1, 130) | st.sampled_from([16, 20, 24, 26, 28])
CIDRS = st.sampled_from(["10.0.0.0/16", "10.0.0.0/24", "10.0.16.0/20", "10.1.0.0/16",
                         "10.0.0.1/24", "10.0.0.0/33", "2001:db8::/48", "::/0", "0.0.0.0/0",
                         "255.255.255.255/32", "1.2.3.4/5", "10.0.0.0", "ten/8"])
POOLS = st.sampled_from(["corp", "hz", "new", "ghost", "ünï"])
#: Values for each argument of an op step, by argument name (the cloud judges them).
ARGUMENTS = {
    "ipam": st.sampled_from(["ipam-1", "ipam-2"]), "pool": POOLS, "source": POOLS,
    "scope": st.sampled_from(["ipam-1-private", "ipam-1-public", "lab"]),
    "region": st.sampled_from(["r1", "r2"]), "vpc": st.sampled_from(["v1", "v2", "vpc-old", "🚀"]),
    "rules": st.fixed_dictionaries({}, optional={"min_mask": MASKS, "max_mask": MASKS,
                                                 "default_mask": MASKS}),
    "cidrs": st.lists(CIDRS, max_size=3), "masks": st.lists(MASKS, max_size=3),
    "mask": MASKS, "cidr": CIDRS, "name": st.text(max_size=8),
    "description": st.text(max_size=8), "auto_import": st.booleans(),
    "allow_external": st.booleans(), "share": st.sampled_from(["rs", "rs2", "rs3"]),
    "allocation": st.sampled_from(["a1", "a2", "10.0.0.0/24", "10.0.0.0/20", "alloc-1"]),
    "resources": st.lists(POOLS, max_size=3),
    "principals": st.lists(st.sampled_from(["rd", "folder:Business", "partner", "net", "shop",
                                            "mgmt"]), max_size=3),
    "account": st.sampled_from(["net", "shop", "partner", "mgmt"]),
    "folder": st.sampled_from(["Business", "Root"]),
    "operating_regions": st.lists(st.sampled_from(["r1", "r2", "r3"]), max_size=2),
    "scopes": st.lists(st.sampled_from(["lab", "lab2"]), max_size=2),
    "strategy": st.sampled_from(["first", "best", "last", "random"]),
    "ipv6_pool": POOLS, "ipv6_mask": st.sampled_from([48, 56, 64, 129, 24]),
    "ipv6_cidr": st.sampled_from(["2001:db8::/56", "2001:db8::1/56", "10.0.0.0/24"]),
    "ip_version": st.sampled_from(["IPv4", "IPv6", "IPV6"]),
    "isp": st.sampled_from(["BGP", "ChinaMobile"]),
    "resource_owner": st.sampled_from(["Self", "OtherAccounts"]),
    "association_type": st.sampled_from(["Resource", "Target"]),
}


@st.composite
def op_scenarios(draw) -> str:
    """:data:`MINIMAL` with random steps of every op: mostly valid files the engine runs."""
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    steps = []
    for _ in range(draw(st.integers(1, 25))):
        if draw(st.integers(0, 5)) == 0:
            steps.append({"advance": draw(st.sampled_from(["30m", "1d", "8d"]))})
            continue
        op = draw(st.sampled_from(sorted(OPERATIONS)))
        spec = OPERATIONS[op]
        step = {"op": op, "as": draw(st.sampled_from(["net", "shop", "partner", "mgmt"]))}
        for name, field in spec.args.items():
            if field.required or draw(st.booleans()):
                step[name] = draw(ARGUMENTS[name])
        for group in (*spec.exclusive, *spec.one_of):
            keep = draw(st.sampled_from(group))
            for name in group:
                if name == keep:
                    step.setdefault(name, draw(ARGUMENTS[name]))
                else:
                    step.pop(name, None)
        if draw(st.booleans()):
            step["expect"] = "any"
        steps.append(step)
    doc["steps"] = steps
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@st.composite
def mutated(draw) -> bytes:
    """A seed file cut, spliced and sprinkled with hostile pieces."""
    data = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["token", "token", "delete", "copy", "cut", "byte",
                                     "number"]))
        if kind == "token":
            token = draw(st.sampled_from(TOKENS) | st.text(min_size=1, max_size=4))
            data = data[:at] + token.encode("utf-8", "surrogatepass") + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)):]
        elif kind == "copy":
            end = min(len(data), at + draw(st.integers(1, 200)))
            data = data[:at] + data[at:end] * draw(st.integers(2, 5)) + data[at:]
        elif kind == "cut":
            data = data[:at]
        elif kind == "byte" and data:
            i = min(at, len(data) - 1)
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
        else:                                                # a number made huge or odd
            data = re.sub(rb"\b[0-9]+\b", draw(st.sampled_from(
                [b"9" * 30, b"1e308", b"-1", b"0", b"999999999", b"3.5", b"\xc2\xb2"])),
                data, count=1)
    return data


@st.composite
def bombs(draw) -> str:
    """An alias bomb (lists or mappings, possibly through merge keys) somewhere in a file."""
    levels, fan = draw(st.integers(6, 14)), draw(st.integers(4, 12))
    assume(fan ** (levels - 1) > MAX_NODES)          # the last anchor alone is too big
    kind = draw(st.sampled_from(["list", "map", "merge"]))
    key = draw(st.sampled_from(["steps", "description", "x-anchors", "quotas", "vpcs"]))
    lines = [f"{key}:", "  - &a0 [lol, lol, lol]" if kind == "list" else
             "  - &a0 {" + ", ".join(f"k{j}: lol" for j in range(fan)) + "}"]
    for i in range(1, levels):
        refs = [f"*a{i - 1}"] * fan
        if kind == "list":
            body = "[" + ", ".join(refs) + "]"
        elif kind == "map":
            body = "{" + ", ".join(f"k{j}: {r}" for j, r in enumerate(refs)) + "}"
        else:
            body = "{<<: [" + ", ".join(refs) + "], z" + str(i) + ": 1}"
        lines.append(f"  - &a{i} {body}")
    head = "version: 1\nname: bomb\norg: {management_account: mgmt}\n"
    return head + "\n".join(lines) + "\n"


# -- known open defects these inputs reach (none at present) -------------------------------
#: name -> (exception type, the simkit function it escapes from)
KNOWN_DEFECTS: dict[str, tuple[type[BaseException], set[str]]] = {}


#: name -> what the loader's catch-all reason says for it
KNOWN_LOADER_DEFECTS: dict[str, str] = {}


def known_defect(err: BaseException) -> str | None:
    frames = {f.name for f in traceback.extract_tb(err.__traceback__)
              if "simkit" in Path(f.filename).parts}
    for name, (kind, functions) in KNOWN_DEFECTS.items():
        if isinstance(err, kind) and frames & functions:
            return name
    return None


# -- the checks -------------------------------------------------------------------------------
def check_load(text: str | bytes) -> object:
    """Load ``text``: a scenario, or a located ScenarioError with a stated reason."""
    began = time.perf_counter()
    try:
        return loads(text, "fuzz.yaml")
    except ScenarioError as err:
        assert str(err).startswith("fuzz.yaml:"), str(err)
        assert err.line is None or err.line >= 1
        if err.reason.startswith(INTERNAL):
            defect = next((name for name, text in KNOWN_LOADER_DEFECTS.items()
                           if text in err.reason), None)
            assert defect is not None, err.reason
            event(f"known defect: {defect}")
            assume(False)
        return err
    finally:
        assert time.perf_counter() - began < TIME_LIMIT


def generated_requests(scenario) -> int:
    return sum(d.count for d in getattr(scenario, "demand", ()))


def check_cli(path: Path, data: bytes) -> None:
    """``simkit run`` on ``data``: exit 0, 1 or 2, no traceback, one line per invalid file."""
    path.write_bytes(data)
    loaded = check_load(data)
    if not isinstance(loaded, ScenarioError):
        wanted = generated_requests(loaded)
        event("valid scenario" if wanted <= MAX_GENERATED else "valid, long demand: loaded only")
        assume(wanted <= MAX_GENERATED)
    out, err = io.StringIO(), io.StringIO()
    began = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["run", str(path)])
    except Exception as escaped:  # the contract says this never happens
        defect = known_defect(escaped)
        if defect is None:
            raise
        event(f"known defect: {defect}")
        assume(False)
    elapsed = time.perf_counter() - began
    assert code in (0, 1, 2), code
    assert "Traceback" not in err.getvalue() + out.getvalue()
    if code == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{path}:"), err.getvalue()
    event(f"exit {code}")
    assert elapsed < TIME_LIMIT, f"simkit run took {elapsed:.1f} s"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# -- the tests --------------------------------------------------------------------------------
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=documents())
def test_generated_documents_load_cleanly(text):
    check_load(text)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_mutated_files_load_cleanly(data):
    check_load(data)


# a run costs a few milliseconds: three times the profile's examples stay within seconds
@settings(max_examples=3 * settings.default.max_examples,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.one_of(documents().map(str.encode), op_scenarios().map(str.encode),
                      mutated()))
def test_simkit_run_answers_every_file_with_an_exit_code(workdir, data):
    check_cli(workdir / "input.yaml", data)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=bombs())
def test_alias_bombs_are_refused_fast_and_small(text):
    tracemalloc.start()
    began = time.perf_counter()
    try:
        with pytest.raises(ScenarioError, match=r"expand to more than [0-9,]+ values|merge key"):
            loads(text)
    finally:
        elapsed = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 16 * 2**20, f"{peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
@pytest.mark.parametrize("opener", ["[", "{a: ", "- ", "- a:\n"])
def test_deep_nesting_is_refused_fast(workdir, depth, opener):
    if opener.endswith("\n"):
        body = "".join(" " * i + opener.replace("\n", "\n" + " " * (i + 2)) for i in range(
            min(depth, 2_000)))
    elif opener == "- ":
        body = opener * depth + "x"
    else:
        body = opener * depth
    text = "version: 1\nname: deep\norg: {management_account: mgmt}\nsteps: " + body + "\n"
    began = time.perf_counter()
    err = check_load(text)
    assert isinstance(err, ScenarioError)
    assert re.search(r"nested|nesting|syntax", err.reason), err.reason
    assert time.perf_counter() - began < 1.0
    path = workdir / "deep.yaml"
    path.write_text(text)
    with contextlib.redirect_stderr(io.StringIO()) as captured:
        assert main(["run", str(path)]) == 2
    assert captured.getvalue().startswith(f"{path}:")


HEAD = "version: 1\nname: hostile\norg: {management_account: mgmt, accounts: [net]}\n"
POOL = ("ipams: [{id: i, owner: net, region: r1, pools: "
        "[{id: p, region: r1, cidrs: [10.0.0.0/16]}]}]\n")

#: Kinds of hostile file the malformed corpus (tests/data/malformed) has no file for:
#: name -> (content, line of the problem, regex the reason must match).
HOSTILE: dict[str, tuple[str | bytes, int, str]] = {
    "deep flow nesting": (HEAD + "steps: " + "[" * 200 + "\n", 4,
                          r"^values are nested more than 64 levels deep"),
    "deep block nesting": (HEAD + "steps:\n" + "".join("  " * i + "- \n" for i in range(1, 80)),
                           68, r"^values are nested more than 64 levels deep"),
    "deep mapping nesting": (HEAD + "steps: " + "{a: " * 100 + "\n", 4,
                             r"^values are nested more than 64 levels deep"),
    "a seed of 5000 digits": (HEAD + "seed: " + "9" * 5000 + "\n", 4,
                              r"^cannot read the value '9{20}"),
    "a float too large": (HEAD + POOL + "steps:\n  - check: {pool: p, utilisation: 1e999}\n", 6,
                          r"utilisation must be a number from 0 to 1, not '1e999'"),
    "a NaN count": (HEAD + POOL + "demand:\n  - {as: net, pool: p, mask: 24, count: .nan, "
                    "every: 1d}\n", 6, r"^demand 1: count must be an integer >= 1, not nan"),
    "an infinite start": (HEAD + "start: .inf\n", 4, r"^start must be an ISO 8601 time"),
    "a duration of 40 digits": (HEAD + "steps:\n  - advance: " + "9" * 40 + "d\n", 5,
                                r"^step 1: advance: the duration '9+d' is too long"),
    "the year 99999": (HEAD + "start: 99999-01-01T00:00:00Z\n", 4,
                       r"^start: '99999-01-01T00:00:00Z' is not an ISO 8601 time"),
    "cut inside a flow mapping": (HEAD + POOL + "steps:\n  - {op: create_vpc, as: net, vpc: v, "
                                  "pool: p, mas", 7, r"^YAML syntax error: did not find "
                                                     r"expected ',' or '}'"),
    "cut inside a quoted string": (HEAD + "description: 'the network team\n", 5,
                                   r"^YAML syntax error: found unexpected end of stream"),
    "a NUL character": (HEAD + "description: a\x00b\n", 4,
                        r"^the character 0x00 is not allowed in a YAML file"),
    "a C1 control character": (HEAD + "description: a\x9fc\n", 4,
                               r"^the character 0x9f is not allowed in a YAML file"),
    "an escaped lone surrogate": (HEAD + 'description: "\\ud800"\n', 4,
                                  r"^YAML syntax error: found invalid Unicode character escape"),
    "a python tag": (HEAD + "description: !!python/object/apply:os.system ['true']\n", 4,
                     r"^the YAML tag tag:yaml.org,2002:python/object/apply:os.system is not "
                     r"supported here"),
    "an unknown local tag": (HEAD + "description: !secret x\n", 4,
                             r"could not determine a constructor for the tag '!secret'"),
    "a set tag": (HEAD + "description: !!set {a, b}\n", 4,
                  r"^the YAML tag tag:yaml.org,2002:set is not supported here"),
    "a list as a mapping key": (HEAD + "? [a, b]\n: 1\n", 4,
                                r"^a mapping key must be a plain value"),
    "a merge of a scalar": (HEAD + "x: &a 1\nsteps:\n  - <<: *a\n", 6,
                            r"^a merge key \(<<\) takes a mapping or a list of mappings"),
    "UTF-16 text": (HEAD.encode("utf-16"), 1, r"^the file is not UTF-8 text \(byte 0xff"),
    "Latin-1 text": ((HEAD + "description: caf\xe9\n").encode("latin-1"), 4,
                     r"^the file is not UTF-8 text \(byte 0xe9"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_hostile_file_is_refused_with_its_line_and_reason(workdir, name):
    content, line, pattern = HOSTILE[name]
    data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    err = check_load(data)
    assert isinstance(err, ScenarioError), name
    assert err.line == line and re.search(pattern, err.reason), (err.line, err.reason)
    path = workdir / "hostile.yaml"
    path.write_bytes(data)
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as out, \
            contextlib.redirect_stderr(io.StringIO()) as captured:
        assert main(["run", str(path)]) == 2
    assert time.perf_counter() - began < 1.0
    assert captured.getvalue() == f"{path}:{line}: {err.reason}\n" and out.getvalue() == ""


@pytest.mark.parametrize("command", ["run", "validate"])
def test_every_malformed_file_is_refused_quickly_in_one_line(command):
    files = sorted((DATA / "malformed").glob("*.yaml"))
    assert len(files) >= 40
    for path in files:
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as out, \
                contextlib.redirect_stderr(io.StringIO()) as err:
            assert main([command, str(path)]) == 2, path
        assert time.perf_counter() - began < 1.0, path
        assert re.fullmatch(rf"{re.escape(str(path))}:\d+: [^\n]+\n", err.getvalue()), \
            err.getvalue()
        assert out.getvalue() == ""


def test_the_shipped_alias_bomb_is_refused_in_under_a_second(workdir):
    path = DATA / "malformed" / "alias_bomb.yaml"
    began = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()) as captured:
        assert main(["run", str(path)]) == 2
    assert time.perf_counter() - began < 1.0
    assert "alias bomb" in captured.getvalue()


# -- regression tests of the known defects (they fail once a defect is fixed) ----------------
def scenario_with(step: str = "", top: str = "", demand: str = "") -> str:
    return ("version: 1\nname: defect\n" + top
            + "org: {management_account: mgmt, accounts: [net]}\n"
            + "ipams:\n  - {id: i, owner: net, region: r1, pools: "
            + "[{id: p, region: r1, cidrs: [10.0.0.0/16]}]}\n"
            + (f"steps:\n  - {step}\n" if step else "")
            + (f"demand:\n  - {demand}\n" if demand else ""))


def run_file(workdir: Path, text: str) -> tuple[int, str]:
    path = workdir / "defect.yaml"
    path.write_text(text)
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["run", str(path)])
    return code, err.getvalue()


def test_a_cidr_with_a_superscript_prefix_is_the_steps_invalid_parameter(workdir):
    code, _ = run_file(workdir, scenario_with(
        "{op: create_vpc, as: net, vpc: v, pool: p, cidr: '10.0.0.0/²', "
        "expect: {error: InvalidParameter}}"))
    assert code == 0


@pytest.mark.parametrize("demand", [
    "{as: net, pool: p, mask: 24, count: 5, every: 1d}",
    "{as: net, pool: p, mask: 24, count: 2, every: 1d, lifetime: 99999999d}",
    "{as: net, pool: p, mask: 24, count: 3, rate: 0.0000000000000000000001/d}",
])
def test_demand_reaching_past_the_year_9999_is_refused_or_stops(workdir, demand):
    top = "start: 9999-12-30T00:00:00Z\n" if "every: 1d}" in demand else ""
    code, err = run_file(workdir, scenario_with(top=top, demand=demand))
    assert code in (0, 1, 2) and "Traceback" not in err


def test_a_huge_integer_mask_weight_is_refused_at_its_line():
    with pytest.raises(ScenarioError) as info:
        loads(scenario_with(demand="{as: net, pool: p, masks: {24: " + "9" * 400
                                   + "}, count: 1, every: 1d}"))
    assert info.value.line == 7 and "must be a number" in info.value.reason, str(info.value)
