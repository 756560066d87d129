"""The history and capacity sections of a report: who had access when, thresholds, tables."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

import simkit  # noqa: E402
from simkit.analysis import history, htmlreport, plots, reports  # noqa: E402
from simkit.scenario import loads  # noqa: E402

ROOT = Path(__file__).parent.parent
COMPANY = ROOT / "scenarios" / "company_20_accounts.yaml"

CANCELLED = """\
version: 1
name: cancelled
org:
  management_account: m
  folders: [{name: Apps, accounts: [app1, app2]}]
  accounts: [net]
  external_accounts: [partner, late]
ipams:
  - {id: i, owner: net, region: r, pools: [{id: p, region: r, cidrs: [10.0.0.0/22]}]}
steps:
  - {op: create_resource_share, as: net, share: s, resources: [p], principals: [folder:Apps]}
  - {op: create_resource_share, as: net, share: x, resources: [p], principals: [partner, late],
     allow_external: true}
  - advance: 1d
  - {op: accept_resource_share_invitation, as: partner, share: x}
  - {op: create_vpc, as: app1, vpc: v1, pool: p, mask: 23}
  - {op: create_vpc, as: app1, vpc: v2, pool: p, mask: 24}
  - {op: create_vpc, as: app2, vpc: v3, pool: p, mask: 23,
     expect: {error: OperationDenied.AvailableCidrInsufficient}}
  - advance: 9d
  - {op: delete_resource_share, as: net, share: s}
  - check: {account: app1, visible_pools: []}
"""


def test_the_timeline_still_shows_who_had_access_after_a_share_is_cancelled():
    run = simkit.run(loads(CANCELLED))
    assert run.ok, [(e.step, e.message) for e in run.failures]
    assert sorted(run.simulation.shares.pools_shared_with("app2")) == []
    periods = history.access(run)
    got = [(r.account, r.share, r.start.day, None if pd.isna(r.end) else r.end.day, r.days)
           for r in periods.itertuples(index=False)]
    assert got == [("app1", "s", 1, 11, 10.0), ("app2", "s", 1, 11, 10.0),
                   ("partner", "x", 2, None, 9.0)]
    events = history.timeline(run)
    rows = [(r.event, r.share, r.account) for r in events.itertuples(index=False)
            if r.event.startswith("invitation")]
    assert rows == [("invitation sent", "x", "partner"), ("invitation sent", "x", "late"),
                    ("invitation accepted", "x", "partner"),
                    ("invitation expired", "x", "late")]
    expired = events[events.event == "invitation expired"].iloc[0]
    assert expired.time == pd.Timestamp("2026-01-08", tz="UTC")


def test_principal_activity_counts_what_each_principal_created_and_was_refused():
    run = simkit.run(loads(CANCELLED))
    frame = history.principal_activity(run)
    assert frame[["account", "pool", "created", "refused", "ips", "cidrs"]].values.tolist() == [
        ["app1", "p", 2, 0, 768, "10.0.0.0/23, 10.0.2.0/24"],
        ["app2", "p", 0, 1, 0, ""]]


def test_a_principals_dual_stack_vpc_counts_in_both_pools_it_drew_from():
    run = simkit.run(ROOT / "scenarios" / "dual_stack.yaml")
    made = {(e.resource, e.cidr, e.ipv6_pool, e.ipv6_cidr) for e in run.simulation.log
            if e.op == "create_vpc" and e.outcome == "ok"}
    assert ("vpc-pay-hz", "10.0.1.0/24", "hz6-biz", "2001:db8:0:100::/56") in made
    frame = history.principal_activity(run).set_index(["account", "pool"])
    assert frame.loc[("pay", "hz6-biz"), "cidrs"] == "2001:db8:0:100::/56"
    assert frame.loc[("pay", "hz4"), "cidrs"] == "10.0.1.0/24"
    # the VPC and the associated block; the mixed-region request is sh6-biz's refusal
    assert frame.loc[("shop", "hz6-biz"), "created"] == 2
    assert frame.loc[("shop", "sh6-biz"), "refused"] == 1
    assert frame.loc[("shop", "hz4"), "refused"] == 0


def test_thresholds_date_the_first_time_each_level_is_reached():
    run = simkit.run(COMPANY)
    frame = reports.thresholds(run.simulation)
    hz = frame[frame.pool == "hz-dev"]
    assert list(hz.threshold) == [0.5, 0.8, 1.0]
    assert list(hz.days) == sorted(hz.days) and all(hz.utilisation >= hz.threshold)
    series = reports.utilisation_series(run.simulation)
    dev = series[series.pool == "hz-dev"]
    before = dev[dev.time < hz.time.iloc[1]]
    assert before.utilisation.max() < 0.8


def test_one_colour_per_account_in_every_address_map():
    run = simkit.run(COMPANY)
    colours = plots.account_colours(run)
    seen: dict[str, set] = {}
    for pool in ("hz-prod", "hz-dev", "sh-prod"):
        ax = plots.address_map(run, pool, colours=colours)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, set()).add(tuple(handle.get_facecolor()[0]))
    assert all(len(c) == 1 for c in seen.values())
    firsts = {next(iter(c)) for c in seen.values()}
    assert len(firsts) == len(seen)          # 25 accounts, 25 different colours


def test_the_organisation_gives_every_box_a_row_of_its_own():
    run = simkit.run(COMPANY)
    ax = plots.org_graph(run)
    rows = [round(t.get_position()[1], 6) for t in ax.texts]
    assert len(rows) == len(set(rows)) >= 20 + 7 + 7


def test_the_page_shows_principals_first_and_formats_figures(tmp_path):
    run = simkit.run(COMPANY)
    htmlreport.write(run, tmp_path)
    page = (tmp_path / "index.html").read_text().replace("<wbr>", "")
    permissions = page[page.index("id='frame-permissions'"):]
    header = re.findall(r"<th>(.*?)</th>", permissions[:permissions.index("</thead>")])
    first = re.findall(r"<td>(.*?)</td>", permissions[permissions.index("<tbody>"):])
    row = dict(zip(header, first, strict=False))
    assert row["account"] != row["pool_owner"] and row["access"] in ("full", "limited")
    assert "principals (accounts that see pools they do not own) first" in permissions
    assert "hz-dev reached 80% on 2026-01-31 00:00:00 (day 30.0)" in page
    assert "hz-dev refused 50 of 97 requests; first refused for lack of space" in page
    utilisation = page[page.index("id='frame-utilisation'"):]
    assert "16,777,216" in utilisation and "12.5%" in utilisation
    assert "0.125" not in utilisation[:utilisation.index("</table>")]
    for name in ("access", "timeline", "principal_activity", "exhaustion", "thresholds"):
        assert (tmp_path / f"{name}.csv").exists()
    events = pd.read_csv(tmp_path / "events.csv")
    assert not events["time"].str.contains(r"\.\d").any()        # whole seconds
