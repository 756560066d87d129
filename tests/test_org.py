"""The organisation graph: building it, refusing bad specs, moves, removals, principals."""

from __future__ import annotations

import copy

import networkx as nx
import pytest
from conftest import org_from_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from simkit.model.org import Organisation, Principal
from simkit.values.errors import DomainError, ScenarioError, UsageError
from simkit.values.quotas import Quotas

#: The ``org:`` section of the docs/scenario-format.md example.
EXAMPLE = {
    "management_account": "mgmt",
    "accounts": ["sandbox"],
    "folders": [
        {"name": "Network", "accounts": ["netadmin"]},
        {"name": "Business", "folders": [
            {"name": "Retail", "accounts": ["retail-prod", "retail-dev"]},
        ]},
    ],
    "external_accounts": ["partner"],
}


@pytest.fixture
def org() -> Organisation:
    return org_from_spec(EXAMPLE)


def code_of(call, *args) -> str:
    with pytest.raises(DomainError) as info:
        call(*args)
    return info.value.code


def nested(depth: int, name: str = "L") -> list[dict]:
    """One chain of ``depth`` folders, ``L/L/...``."""
    folder: dict = {"name": name}
    for _ in range(depth - 1):
        folder = {"name": name, "folders": [folder]}
    return [folder]


# -- building ---------------------------------------------------------------------------


def test_the_scenario_example_builds_the_directory(org):
    assert org.folders() == ["Root", "Business", "Business/Retail", "Network"]
    assert org.members() == ["mgmt", "netadmin", "retail-dev", "retail-prod", "sandbox"]
    assert org.externals() == ["partner"]
    assert {a: org.folder_of(a) for a in [*org.members(), "partner"]} == {
        "mgmt": "Root", "sandbox": "Root", "netadmin": "Network",
        "retail-dev": "Business/Retail", "retail-prod": "Business/Retail", "partner": None,
    }
    assert [org.depth(f) for f in org.folders()] == [0, 1, 2, 1]


def test_the_graph_is_a_tree_of_folders_and_member_accounts(org):
    g = org.graph
    assert nx.is_arborescence(g)
    assert sorted(g.successors("folder:Business")) == ["folder:Business/Retail"]
    assert sorted(g.successors("folder:Root")) == [
        "account:mgmt", "account:sandbox", "folder:Business", "folder:Network"]
    assert {g.nodes[n]["kind"] for n in g} == {"folder", "account"}
    assert "account:partner" not in g


def test_accounts_in_a_folder_with_and_without_sub_folders(org):
    assert org.accounts_in("Business") == {"retail-prod", "retail-dev"}
    assert org.accounts_in("Business", recursive=False) == set()
    assert org.accounts_in("Root", recursive=False) == {"mgmt", "sandbox"}
    assert org.accounts_in("Root") == set(org.members())


def test_knows_members_and_externals(org):
    assert [(org.knows(a), org.is_member(a), org.is_external(a))
            for a in ("sandbox", "partner", "stranger")] == [
        (True, True, False), (True, False, True), (False, False, False)]


def test_order_of_declaration_does_not_change_the_result():
    shuffled = {
        "management_account": "mgmt",
        "external_accounts": ["partner"],
        "folders": [
            {"name": "Business", "folders": [
                {"name": "Retail", "accounts": ["retail-dev", "retail-prod"]}]},
            {"name": "Network", "accounts": ["netadmin"]},
        ],
        "accounts": ["sandbox"],
    }
    a, b = org_from_spec(EXAMPLE), org_from_spec(shuffled)
    assert a.fingerprint() == b.fingerprint()
    assert (a.members(), a.folders()) == (b.members(), b.folders())


# -- refusals of an org: section ----------------------------------------------------------------


def with_(**changes) -> dict:
    spec = copy.deepcopy(EXAMPLE)
    spec.update(changes)
    return spec


@pytest.mark.parametrize(("spec", "match"), [
    pytest.param(with_(accounts=["sandbox", "netadmin"]),
                 r"^<string>:11: account 'netadmin' is declared twice in org \(first at line 7\)",
                 id="account-in-two-places"),
    pytest.param(with_(accounts=["mgmt"]),
                 r"^<string>:6: account 'mgmt' is declared twice in org \(first at line 4\)",
                 id="management-account-again"),
    pytest.param(with_(external_accounts=["partner", "retail-dev"]),
                 r"^<string>:19: account 'retail-dev' is declared twice in org "
                 r"\(first at line 16\)",
                 id="member-also-external"),
    pytest.param(with_(external_accounts=["partner", "partner"]),
                 r"account 'partner' is declared twice in org \(first at line 18\)",
                 id="external-twice"),
    pytest.param(with_(folders=[{"name": "A"}, {"name": "A"}]),
                 r"^<string>:9: folder 'A' is declared twice \(first at line 8\)",
                 id="folder-twice"),
    pytest.param(with_(folders=[{"name": "B", "folders": [{"name": "X"}, {"name": "X"}]}]),
                 r"folder 'B/X' is declared twice", id="sub-folder-twice"),
    pytest.param(with_(folders=[{"name": "Root"}]),
                 r"'Root' cannot be a folder name: Root names the root folder",
                 id="folder-named-root"),
    pytest.param(with_(folders=nested(6)),
                 r"folder L/L/L/L/L/L would have 6 folder levels below Root.*folder_depth = 5.*"
                 r"quotas: \{folder_depth: N\}", id="too-deep"),
    pytest.param(with_(folders=[{"name": f"f{i}"} for i in range(101)]),
                 r"101 folders.*rd_folders = 100.*quotas: \{rd_folders: N\}",
                 id="too-many-folders"),
    pytest.param(with_(folders=nested(5) + [{"name": f"f{i}"} for i in range(96)]),
                 r"101 folders", id="too-many-folders-nested"),
    pytest.param(with_(accounts=[f"a{i}" for i in range(17)]),   # + mgmt + 3 in folders
                 r"would have 21 member accounts per resource directory, the management account "
                 r"included, over the quota rd_members = 20",
                 id="too-many-members"),
    pytest.param(with_(folders=[{"name": "A/B"}]),
                 r"'A/B' cannot be a folder name: '/' separates folder paths",
                 id="name-with-slash"),
    pytest.param(with_(folders=[{"name": "Business", "folders": [{"name": "a:b"}]}]),
                 r"folder path 'Business/a:b' has the invalid folder name 'a:b'",
                 id="name-with-colon"),
    pytest.param(with_(folders=[{"name": ""}]), r"folder '': name must not be empty",
                 id="empty-name"),
    pytest.param(with_(folders=[{"accounts": ["x"]}]), r"folder 1: missing required key 'name'",
                 id="no-name"),
    pytest.param(with_(owner="x"), r"unknown key 'owner' in org", id="unknown-key"),
    pytest.param(with_(folders=[{"name": "A", "acounts": ["x"]}]),
                 r"unknown key 'acounts' in folder 'A' \(did you mean 'accounts'\?\)",
                 id="unknown-folder-key"),
    pytest.param(with_(accounts="sandbox"), r"org: accounts must be a list", id="not-a-list"),
    pytest.param(with_(accounts=[1234567890123456]),
                 r"accounts item 1 must be an account id written as a string: quote it",
                 id="numeric-id"),
    pytest.param({"accounts": ["a"]}, r"org: missing required key 'management_account'",
                 id="no-management"),
])
def test_from_spec_refuses(spec, match):
    with pytest.raises(ScenarioError, match=match):
        org_from_spec(spec)


@pytest.mark.parametrize("spec", [
    pytest.param(with_(folders=nested(5)), id="5-levels"),
    pytest.param(with_(folders=[{"name": f"f{i}"} for i in range(100)]), id="100-folders"),
    pytest.param(with_(accounts=[f"a{i}" for i in range(16)]), id="20-members"),
    pytest.param(with_(folders=[{"name": "A", "folders": [{"name": "A"}]}]), id="A/A"),
    pytest.param({"management_account": "mgmt"}, id="management-only"),
])
def test_from_spec_accepts_the_limits(spec):
    org_from_spec(spec)


def test_raised_quotas_allow_larger_directories():
    spec = with_(folders=nested(7), accounts=[f"a{i}" for i in range(40)])
    with pytest.raises(ScenarioError, match="rd_members = 20"):
        org_from_spec(spec)
    org = org_from_spec(spec, {"folder_depth": 7, "rd_members": 41})
    assert (org.depth("L/L/L/L/L/L/L"), len(org.members())) == (7, 41)
    with pytest.raises(ScenarioError, match="42 member accounts.*rd_members = 41"):
        org_from_spec(with_(folders=[], accounts=[f"a{i}" for i in range(41)]),
                  {"rd_members": 41})


# -- adding folders and accounts ---------------------------------------------------------------


def test_add_folder_returns_the_full_path_and_refuses_bad_ones(org):
    assert org.add_folder("Business/Online") == "Business/Online"
    assert org.add_folder("Root/Lab") == "Lab"
    assert [code_of(org.add_folder, p) for p in ("Nowhere/X", "Network", "Business/Online")] == [
        "ResourceNotFound.Folder", "OperationDenied.ResourceExist",
        "OperationDenied.ResourceExist"]
    for bad in ("", "A//B", "A:B", "Root/"):
        with pytest.raises(UsageError, match="folder name is non-empty"):
            org.add_folder(bad)


def test_add_account_and_add_external_refuse_known_accounts(org):
    org.add_account("online", "Retail")          # a unique folder name is enough
    assert org.folder_of("online") == "Business/Retail"
    assert [code_of(org.add_account, "partner"), code_of(org.add_external, "sandbox"),
            code_of(org.add_external, "partner"), code_of(org.add_account, "x", "Nowhere")] == [
        "OperationDenied.ResourceExist"] * 3 + ["ResourceNotFound.Folder"]


def test_default_quotas_hold_for_each_addition():
    org = Organisation("mgmt")
    for i in range(19):
        org.add_account(f"a{i}")
    with pytest.raises(DomainError, match="21 member accounts.*rd_members = 20") as info:
        org.add_account("one-too-many")
    assert info.value.code == "QuotaExceeded.RdMembers"
    org.add_external("one-too-many")              # externals do not count

    path = ""
    for _ in range(5):
        path = org.add_folder(f"{path}/D".lstrip("/"))
    assert code_of(org.add_folder, f"{path}/D") == "QuotaExceeded.FolderDepth"
    for i in range(95):
        org.add_folder(f"F{i}")
    assert code_of(org.add_folder, "F95") == "QuotaExceeded.RdFolders"


def test_raised_quotas_hold_for_each_addition():
    org = Organisation("mgmt", Quotas({"rd_members": 2, "rd_folders": 1, "folder_depth": 1}))
    org.add_account("a")
    org.add_folder("F")
    assert [code_of(org.add_account, "b"), code_of(org.add_folder, "G"),
            code_of(org.add_folder, "F/G")] == [
        "QuotaExceeded.RdMembers", "QuotaExceeded.RdFolders", "QuotaExceeded.FolderDepth"]


# -- moving and removing accounts -----------------------------------------------------------


def test_moving_an_account_changes_what_covers_it_at_once(org):
    business = org.parse_principal("folder:Business")
    network = org.parse_principal("folder:Network")
    trace = [(org.covers(business, "netadmin"), org.covers(network, "netadmin"))]
    org.move_account("mgmt", "netadmin", "Business/Retail")
    trace.append((org.covers(business, "netadmin"), org.covers(network, "netadmin")))
    org.move_account("mgmt", "netadmin", "Root")
    trace.append((org.covers(business, "netadmin"), org.covers(network, "netadmin")))
    assert trace == [(False, True), (True, False), (False, False)]
    assert org.folder_of("netadmin") == "Root"


def test_move_account_refusals_in_order(org):
    assert [
        code_of(org.move_account, "netadmin", "sandbox", "Network"),
        code_of(org.move_account, "partner", "sandbox", "Network"),
        code_of(org.move_account, "netadmin", "partner", "Nowhere"),
        code_of(org.move_account, "mgmt", "partner", "Network"),
        code_of(org.move_account, "mgmt", "stranger", "Network"),
        code_of(org.move_account, "mgmt", "sandbox", "Nowhere"),
    ] == ["Forbidden", "Forbidden", "Forbidden", "ResourceNotFound.Account",
          "ResourceNotFound.Account", "ResourceNotFound.Folder"]


def test_the_management_account_may_move_itself(org):
    org.move_account("mgmt", "mgmt", "Network")
    assert org.folder_of("mgmt") == "Network"
    assert org.covers(org.parse_principal("folder:Network"), "mgmt")


def test_a_removed_account_becomes_external_and_leaves_rd_and_folder_principals(org):
    principals = [org.parse_principal(p) for p in ("rd", "folder:Business", "retail-dev")]
    before = [org.covers(p, "retail-dev") for p in principals]
    org.remove_account("mgmt", "retail-dev")
    after = [org.covers(p, "retail-dev") for p in principals]
    assert (before, after) == ([True, True, True], [False, False, True])
    assert (org.is_member("retail-dev"), org.is_external("retail-dev")) == (False, True)
    assert org.folder_of("retail-dev") is None
    assert org.accounts_in("Business") == {"retail-prod"}
    assert org.parse_principal("retail-dev") == Principal("account", "retail-dev")


def test_remove_account_refusals_in_order(org):
    assert [
        code_of(org.remove_account, "sandbox", "netadmin"),
        code_of(org.remove_account, "mgmt", "partner"),
        code_of(org.remove_account, "mgmt", "stranger"),
        code_of(org.remove_account, "mgmt", "mgmt"),
        code_of(org.remove_account, "sandbox", "mgmt"),
    ] == ["Forbidden", "ResourceNotFound.Account", "ResourceNotFound.Account",
          "OperationDenied.RemoveManagementAccount", "Forbidden"]


# -- principals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("rd", Principal("rd", "")),
    ("folder:Business/Retail", Principal("folder", "Business/Retail")),
    ("folder:Root/Business/Retail", Principal("folder", "Business/Retail")),
    ("folder:Retail", Principal("folder", "Business/Retail")),
    ("folder:Root", Principal("folder", "Root")),
    ("account:retail-prod", Principal("account", "retail-prod")),
    ("account:partner", Principal("account", "partner")),
    ("sandbox", Principal("account", "sandbox")),
    ("partner", Principal("account", "partner")),
])
def test_parse_principal(org, text, expected):
    principal = org.parse_principal(text)
    assert principal == expected
    assert org.parse_principal(str(principal)) == principal


@pytest.mark.parametrize(("text", "code"), [
    ("folder:Nowhere", "ResourceNotFound.Folder"),
    ("folder:Retail/Business", "ResourceNotFound.Folder"),
    ("account:stranger", "ResourceNotFound.Account"),
    ("stranger", "ResourceNotFound.Account"),
    ("Retail", "ResourceNotFound.Account"),        # a bare word is an account id
    ("account:", "ResourceNotFound.Account"),
])
def test_parse_principal_unknown(org, text, code):
    assert code_of(org.parse_principal, text) == code


def test_an_ambiguous_folder_name_lists_the_candidates(org):
    org.add_folder("Network/Retail")
    with pytest.raises(UsageError, match=r"'Retail' is ambiguous.*Business/Retail, "
                                         r"Network/Retail.*full path"):
        org.parse_principal("folder:Retail")
    assert org.resolve_folder("Network/Retail") == "Network/Retail"


def test_a_full_path_wins_over_a_folder_name(org):
    org.add_folder("Retail")
    assert org.resolve_folder("Retail") == "Retail"


def test_an_empty_principal_is_a_usage_error(org):
    with pytest.raises(UsageError, match="a principal is rd, folder:PATH"):
        org.parse_principal("")


def test_covers(org):
    cases = {
        "rd": ["mgmt", "netadmin", "retail-dev", "retail-prod", "sandbox"],
        "folder:Root": ["mgmt", "netadmin", "retail-dev", "retail-prod", "sandbox"],
        "folder:Business": ["retail-dev", "retail-prod"],
        "folder:Business/Retail": ["retail-dev", "retail-prod"],
        "account:partner": ["partner"],
        "netadmin": ["netadmin"],
    }
    everyone = [*org.members(), *org.externals(), "stranger"]
    assert {p: [a for a in everyone if org.covers(org.parse_principal(p), a)]
            for p in cases} == cases


# -- copies and fingerprints -----------------------------------------------------------------------


def test_copy_is_independent_and_fingerprint_tracks_structure(org):
    twin = org.copy()
    assert twin.fingerprint() == org.fingerprint()
    twin.move_account("mgmt", "sandbox", "Network")
    assert twin.fingerprint() != org.fingerprint()
    assert org.folder_of("sandbox") == "Root"
    twin.move_account("mgmt", "sandbox", "Root")
    assert twin.fingerprint() == org.fingerprint()
    twin.remove_account("mgmt", "sandbox")
    twin.add_folder("Lab")
    assert (org.is_member("sandbox"), "Lab" in org.folders()) == (True, False)
    hash(org.fingerprint())


# -- invariants under random operations ----------------------------------------------------------

NAMES = st.sampled_from(["A", "B", "C"])
PATHS = st.lists(NAMES, min_size=1, max_size=4).map("/".join)
ACCOUNTS = st.sampled_from(["mgmt", "a1", "a2", "a3", "a4", "a5", "x1"])
OPERATIONS = st.one_of(
    st.tuples(st.just("add_folder"), PATHS),
    st.tuples(st.just("add_account"), ACCOUNTS, st.one_of(PATHS, st.just("Root"))),
    st.tuples(st.just("add_external"), ACCOUNTS),
    st.tuples(st.just("move_account"), st.sampled_from(["mgmt", "a1"]), ACCOUNTS,
              st.one_of(PATHS, st.just("Root"))),
    st.tuples(st.just("remove_account"), st.sampled_from(["mgmt", "a1"]), ACCOUNTS),
)
SMALL = Quotas({"rd_folders": 5, "rd_members": 4, "folder_depth": 3})


def assert_invariants(org: Organisation) -> None:
    g = org.graph
    assert nx.is_arborescence(g)
    assert [n for n, d in g.in_degree() if d == 0] == ["folder:Root"]
    for n, kind in g.nodes(data="kind"):
        if kind == "account":
            assert g.out_degree(n) == 0
            (parent,) = g.predecessors(n)
            assert g.nodes[parent]["kind"] == "folder"
    assert max(org.depth(f) for f in org.folders()) <= SMALL["folder_depth"]
    assert len(org.folders()) - 1 <= SMALL["rd_folders"]
    assert len(org.members()) <= SMALL["rd_members"]
    assert not set(org.members()) & set(org.externals())
    assert org.is_member(org.management_account)
    assert sorted(a for f in org.folders() for a in org.accounts_in(f, recursive=False)) \
        == org.members()


@settings(max_examples=150, deadline=None)
@given(st.lists(OPERATIONS, max_size=25))
def test_random_operations_keep_the_invariants(operations):
    org = Organisation("mgmt", SMALL)
    for name, *args in operations:
        before = org.fingerprint()
        try:
            getattr(org, name)(*args)
        except (DomainError, UsageError):
            assert org.fingerprint() == before
        assert_invariants(org)
