"""Figures on the Agg backend, and the ``simkit report`` command that writes them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import simkit  # noqa: E402
from simkit import plots, reports  # noqa: E402
from simkit.cli import main  # noqa: E402
from simkit.scenario import loads  # noqa: E402

SHARED = """
version: 1
name: shared-pool
description: A pool shared with a folder and a partner; two VPCs and a reservation.
org:
  management_account: mgmt
  folders:
    - name: Network
      accounts: [net]
    - name: Business
      accounts: [shop]
  external_accounts: [partner]
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - {id: corp, cidrs: [10.0.0.0/16, 10.2.0.0/16]}
      - {id: hz, source: corp, region: r1, cidrs: [10.0.0.0/20]}
steps:
  - op: create_resource_share
    as: net
    share: rs
    resources: [hz]
    principals: [folder:Business, partner]
    allow_external: true
  - {op: create_vpc, as: shop, vpc: vpc-shop, pool: hz, mask: 22}
  - {op: create_vpc, as: net, vpc: vpc-net, pool: hz, mask: 24}
  - {op: create_ipam_pool_allocation, as: net, pool: hz, allocation: lab, mask: 28}
  - advance: 1d
  - {op: create_vpc, as: shop, vpc: vpc-two, pool: hz, mask: 23}
"""


@pytest.fixture(scope="module")
def sim():
    return simkit.run(loads(SHARED)).simulation


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plots must not call plt.show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


def fresh_axes():
    return Figure(figsize=(8, 3)).add_subplot()


def test_every_plot_draws_on_the_given_axes_and_returns_it(sim):
    calls = [
        lambda ax: plots.utilisation_bars(reports.utilisation(sim), ax=ax),
        lambda ax: plots.address_map(sim, "hz", ax=ax),
        lambda ax: plots.utilisation_over_time(reports.utilisation_series(sim), ax=ax),
        lambda ax: plots.org_graph(sim, ax=ax, seed=1),
        lambda ax: plots.permission_heatmap(reports.permission_audit(sim), ax=ax),
    ]
    for call in calls:
        ax = fresh_axes()
        assert call(ax) is ax
        assert ax.get_title()
    # without ax, each makes its own figure
    assert plots.utilisation_bars(reports.utilisation(sim)).figure is not None


def test_utilisation_bars_stack_the_types_up_to_the_pool_figure(sim):
    ax = plots.utilisation_bars(reports.utilisation(sim), ax=fresh_axes())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["corp", "hz"]
    # corp: hz's /20 of 2 x 65536 IPs = 3.125%, all IpamPool; hz: /22 + /24 + /23 = 1792
    # VPC IPs and 16 Custom IPs of 4096
    widths = {(c.get_label(), round(p.get_y() + p.get_height() / 2)): p.get_width()
              for c in ax.containers for p in c.patches}
    assert widths[("IpamPool", 0)] == pytest.approx(100 * 4096 / 131072)
    assert widths[("VPC", 1)] == pytest.approx(100 * 1792 / 4096)
    assert widths[("Custom", 1)] == pytest.approx(100 * 16 / 4096)
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [100]


def test_the_address_map_shows_cidrs_allocations_and_free_gaps(sim):
    ax = plots.address_map(sim, "corp", ax=Figure(figsize=(10, 2)).add_subplot())
    texts = [t.get_text() for t in ax.texts]
    # two provisioned /16 side by side (with a gap, they are not contiguous), labelled
    assert texts[:2] == ["10.0.0.0/16", "10.2.0.0/16"]
    strips = [c for c in ax.collections if c.get_label() in ("", None) or
              c.get_label().startswith("_")]
    starts = [path.vertices[:, 0].min() for c in strips for path in c.get_paths()]
    assert starts[0] == 0 and starts[1] > 65536
    # hz's /20 is the only allocation of corp, held by net; its CIDR fits on it
    assert [c.get_label() for c in ax.collections if c.get_label() == "net"] == ["net"]
    assert "10.0.0.0/20" in texts
    by_type = plots.address_map(sim, "hz", ax=fresh_axes(), colour_by="type")
    legend = [t.get_text() for t in by_type.get_legend().get_texts()]
    assert legend == ["VPC", "Custom"]
    by_account = plots.address_map(sim, "hz", ax=fresh_axes())
    assert sorted(t.get_text() for t in by_account.get_legend().get_texts()) == ["net", "shop"]
    # the /28 is too narrow for its label on an 8-inch strip of a /20
    assert "10.0.1.0/28" not in [t.get_text() for t in by_account.texts]
    assert by_account.get_title() == "pool hz: 44.1% of 4,096 IPs allocated"
    with pytest.raises(ValueError, match="colour_by"):
        plots.address_map(sim, "hz", colour_by="size")


def test_utilisation_over_time_steps_to_each_change(sim):
    series = reports.utilisation_series(sim)
    ax = plots.utilisation_over_time(series, ax=fresh_axes())
    lines = {line.get_label(): line for line in ax.get_lines() if line.get_label() in
             ("corp", "hz")}
    # hz: 0, then /22 (25%), + /24 (31.25%), + /28, then a day later + /23 (44.1%)
    assert [round(y, 2) for y in lines["hz"].get_ydata()] == [0, 25, 31.25, 31.64, 44.14,
                                                             44.14]
    assert lines["hz"].get_drawstyle() == "steps-post"


def test_the_org_graph_draws_shares_from_pools_to_principals(sim):
    ax = plots.org_graph(sim, ax=fresh_axes(), seed=3)
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["Business", "Network", "Root", "corp", "hz", "mgmt", "net", "partner",
                      "shop"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["folder", "account", "external", "pool", "share rs"]
    # hz -> Business, and hz -> partner dotted: the partner has not accepted yet
    assert [p.get_linestyle() for p in ax.patches] == ["solid", "dotted"]
    again = plots.org_graph(sim, ax=fresh_axes(), seed=3)     # the layout is seeded
    assert [t.get_position() for t in again.texts] == [t.get_position() for t in ax.texts]
    fork = sim.copy()
    fork.do("partner", "accept_resource_share_invitation", share="rs")
    accepted = plots.org_graph(fork, ax=fresh_axes(), seed=3)
    assert [p.get_linestyle() for p in accepted.patches] == ["solid", "solid"]


def test_the_permission_heatmap_colours_each_decision(sim):
    audit = reports.permission_audit(sim)
    ax = plots.permission_heatmap(audit, ax=fresh_axes())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    # net owns both pools, shop sees hz; mgmt sees nothing, partner has not accepted
    assert rows == ["net / corp", "net / hz", "shop / hz"]
    grid = ax.get_images()[0].get_array()
    levels = list(plots.ACCESS_COLOURS)
    actions = [t.get_text() for t in ax.get_xticklabels()]
    shop = dict(zip(actions, grid[2], strict=True))
    assert levels[int(shop["create_vpc"])] == "full"
    assert levels[int(shop["delete_ipam_pool_allocation"])] == "limited"
    assert levels[int(shop["delete_ipam_pool"])] == "forbidden"
    assert {levels[int(v)] for v in grid[0]} == {"owner"}
    # the report's frame holds only the pairs seen; the full matrix, asked for, hides the rest
    assert "hidden" not in ax.get_title()
    full = reports.permission_audit(sim, pools=["corp", "hz"])
    dense = plots.permission_heatmap(full, ax=fresh_axes())
    assert [t.get_text() for t in dense.get_yticklabels()] == rows
    assert "5 pairs without access hidden" in dense.get_title()


def test_report_command_writes_csv_png_and_one_self_contained_page(tmp_path, capsys):
    scenario = tmp_path / "shared.yaml"
    scenario.write_text(SHARED)
    out = tmp_path / "report"
    assert main(["report", str(scenario), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    extra = ("exhaustion", "thresholds", "access", "timeline", "principal_activity")
    figures = ("utilisation", "address_maps", "utilisation_over_time", "refusals", "history",
               "pool_hierarchy", "organisation", "permissions")
    assert names == sorted([f"{n}.csv" for n in [*reports.frames(simkit.Simulation()), *extra]]
                           + [f"{n}.png" for n in figures] + ["index.html"])
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "index.html").read_text()
    assert page.count("src='data:image/png;base64,") == 8
    assert "src='http" not in page and "<script" not in page
    assert "<h1>shared-pool</h1>" in page and "every expectation met" in page
    assert "<h2 id='capacity'>Capacity</h2>" in page and "<h2 id='history'>History</h2>" in page
    assert "report: 17 CSV files, 8 PNG files" in capsys.readouterr().out


def test_report_command_exit_codes(tmp_path, capsys):
    unmet = tmp_path / "unmet.yaml"
    unmet.write_text(SHARED.replace("mask: 23}", "mask: 23, expect: {cidr: 10.0.0.0/23}}"))
    assert main(["report", str(unmet), "--out", str(tmp_path / "a")]) == 1
    assert "1 expectation(s) not met" in (tmp_path / "a" / "index.html").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: x\n")
    assert main(["report", str(broken), "--out", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.startswith(f"{broken}:")
    assert not (tmp_path / "b").exists()
