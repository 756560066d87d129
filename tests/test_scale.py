"""What keeps reports and the model proportional to a company's size: the sparse permission
audit, the indexes behind access checks, and the figures that group above a threshold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simkit import plots, reports  # noqa: E402
from simkit.analysis.runs import run  # noqa: E402
from simkit.model.org import Principal  # noqa: E402
from simkit.scenario import load  # noqa: E402


@pytest.fixture(scope="module")
def company():
    return run(load("scenarios/company_20_accounts.yaml")).simulation


def axes():
    return Figure().add_subplot()


def _everyone(sim):
    return [*sim.org.members(), *sim.org.externals()]


def test_accounts_seeing_agrees_with_sees_as_the_organisation_changes(company):
    sim = company.copy()
    org = sim.org

    def agree():
        for pool in sim.model.pools:
            seeing = sim.shares.accounts_seeing(pool)
            assert seeing == {a for a in _everyone(sim) if sim.shares.sees(a, pool)}, pool
        for principal in [Principal("rd", ""), *(Principal("folder", f) for f in org.folders())]:
            assert org.covered(principal) == {a for a in org.members()
                                              if org.covers(principal, a)}

    agree()
    org.move_account("mgmt", "retail-01", "Data")          # out of Business, into Data
    agree()
    assert not sim.shares.sees("retail-01", "hz-prod") and sim.shares.sees("retail-01", "hz-dev")
    org.remove_account("mgmt", "pay-01")
    agree()
    assert not sim.shares.sees("pay-01", "hz-prod")
    sim.do("netadmin", "disassociate_resource_share", share="rs-prod", resources=["sh-prod"])
    agree()
    assert sim.shares.active_shares_of("sh-prod") == []
    org.add_account("retail-99", "Business/Retail")
    agree()
    assert sim.shares.sees("retail-99", "hz-prod")
    assert len(org.members()) == org.fingerprint()[2].__len__()


def test_the_member_count_follows_adds_removals_and_saved_state(company):
    from simkit.model.org import Organisation

    org = company.org.copy()
    assert org._member_count == len(org.members())
    org.remove_account("mgmt", "data-01")
    assert org._member_count == len(org.members())
    assert Organisation.from_state(org.to_state())._member_count == len(org.members())


def test_the_permission_audit_lists_the_pairs_seen_and_the_full_matrix_on_request(company):
    sparse = reports.permission_audit(company)
    dense = reports.permission_audit(company, pools=list(company.model.pools))
    seen = dense.groupby(["account", "pool"], sort=False)["access"].transform(
        lambda s: (s != "not_visible").any())
    expected = dense[seen].reset_index(drop=True)
    assert sparse.equals(expected)
    assert "not_visible" not in set(sparse["access"])
    one = reports.permission_audit(company, accounts=["data-01"])
    assert set(one["pool"]) == set(company.model.pools) and set(one["account"]) == {"data-01"}


def test_the_permission_summary_counts_who_sees_each_pool(company):
    summary = reports.permission_summary(company).set_index("pool")
    dense = reports.permission_audit(company, pools=list(company.model.pools))
    for pool, rows in dense.groupby("pool"):
        principals = rows[rows["access"].isin(["full", "limited", "forbidden"])
                          & (rows["account"] != rows["pool_owner"])]["account"].nunique()
        hidden = rows[rows["access"] == "not_visible"]["account"].nunique()
        assert (summary.loc[pool, "principals"], summary.loc[pool, "not_visible"]) == \
            (principals, hidden), pool
    assert summary.loc["hz-dev", "shares"] == "rs-dev"


def test_the_heatmap_groups_by_folder_above_the_threshold(company):
    audit = reports.permission_audit(company)
    pairs = len(set(zip(audit["account"], audit["pool"], strict=True)))
    folders = {a: company.org.folder_of(a) or "external" for a in set(audit["account"])}
    plain = plots.permission_heatmap(audit, ax=axes(), groups=folders, max_rows=pairs)
    assert len(plain.get_yticklabels()) == pairs and "grouped" not in plain.get_title()
    grouped = plots.permission_heatmap(audit, ax=axes(), groups=folders, max_rows=pairs - 1)
    labels = [t.get_text() for t in grouped.get_yticklabels()]
    assert "Business/Retail / hz-prod (5 accounts)" in labels
    assert len(labels) < pairs and "grouped by folder" in grouped.get_title()
    per_pool = plots.permission_heatmap(audit, ax=axes(), groups=folders, max_rows=8)
    assert "grouped by pool" in per_pool.get_title()
    hz_prod = audit[audit["pool"] == "hz-prod"]["account"].nunique()     # the owner too
    assert f"hz-prod ({hz_prod} accounts)" in [t.get_text() for t in per_pool.get_yticklabels()]
    assert "corp (1 account)" in [t.get_text() for t in per_pool.get_yticklabels()]
    assert len(per_pool.get_yticklabels()) == len(company.model.pools)
    cut = plots.permission_heatmap(audit, ax=axes(), groups=folders, max_rows=5)
    assert len(cut.get_yticklabels()) == 5
    assert f"first 5 of {len(company.model.pools)} rows" in cut.get_title()


def test_the_org_graph_draws_big_folders_and_many_pools_as_one_node(company):
    full = plots.org_graph(company, ax=axes())
    names = [t.get_text() for t in full.texts]
    assert "retail-01" in names and "one node" not in full.get_title()
    small = plots.org_graph(company, ax=axes(), max_listed=4)
    names = [t.get_text() for t in small.texts]
    assert "retail-01" not in names and "5 accounts" in names    # Retail's five
    assert "logistics-01" in names                                 # Logistics has four
    assert "7 pools" in names and "hz-prod" not in names            # netadmin owns seven
    assert "more than 4 accounts" in small.get_title()
    assert len(small.texts) < len(full.texts) and small.patches       # shares still drawn


def test_the_org_graph_lowers_the_group_limit_until_it_fits_its_rows(company):
    full = plots.org_graph(company, ax=axes())
    rows = len(full.texts)                       # one label per node, one node per row
    capped = plots.org_graph(company, ax=axes(), max_rows=rows - 1)
    assert len(capped.texts) <= rows - 1
    title = capped.get_title()
    limit = int(title.split("more than ")[1].split()[0])
    assert limit < plots.MAX_LISTED
    looser = plots.org_graph(company, ax=axes(), max_listed=limit + 1)
    assert len(looser.texts) > rows - 1          # the largest limit that fits was chosen
    legend = [t.get_text() for t in capped.get_legend().get_texts()]
    shares = [s for s in company.shares.all() if s.active]
    assert sum(t.startswith("share ") for t in legend) == min(len(shares), (rows - 1) // 4)
    if len(shares) > (rows - 1) // 4:
        assert f"and {len(shares) - (rows - 1) // 4} more shares" in legend


def test_the_pool_hierarchy_folds_the_deepest_levels_above_the_threshold(company):
    pools = len(company.model.pools)
    full = plots.pool_hierarchy(company, ax=axes(), max_rows=pools + 1)
    assert len(full.texts) == pools + 1 and "shown as one row" not in full.get_title()
    folded = plots.pool_hierarchy(company, ax=axes(), max_rows=pools)
    names = [t.get_text() for t in folded.texts]
    assert any(n.startswith("3 pools below") for n in names)        # hz-prod, hz-dev, partners
    assert any(n.startswith("1 pool below") for n in names)         # sh-prod
    assert "below level 2" in folded.get_title() and len(names) < pools + 1


@pytest.mark.parametrize("accounts", [200, 400])
def test_report_figures_stay_a_few_screens_tall_on_a_big_plan(accounts):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from company import plan

    from simkit.analysis.htmlreport import figures
    from simkit.scenario import loads

    shown = figures(run(loads(plan(accounts, 300))))     # a run: the history figure too
    assert set(shown) >= {"utilisation", "organisation", "pool_hierarchy", "permissions",
                          "address_maps", "history", "utilisation_over_time"}
    for name, fig in shown.items():       # 40 inches: four screens at the page's 110 dpi
        assert fig.get_figheight() <= 40, name
    pools = len(loads(plan(accounts, 0)).ipams[0].pools)
    assert shown["address_maps"].get_suptitle().startswith(f"the first 20 of {pools} pools")


def test_the_utilisation_bars_and_history_draw_at_most_max_rows(company):
    util = reports.utilisation(company)
    ax = plots.utilisation_bars(util, ax=axes(), max_rows=3)
    top = util.nlargest(3, "utilisation")["pool"]
    assert {t.get_text() for t in ax.get_yticklabels()} == set(top)
    assert f"3 most used of {len(util)} pools" in ax.get_title()


def test_utilisation_over_time_draws_the_most_utilised_pools_above_the_limit(company):
    series = reports.utilisation_series(company)
    peaks = series.groupby("pool", sort=False)["utilisation"].max()
    full = plots.utilisation_over_time(series, ax=axes(), max_lines=len(peaks))
    assert {line.get_label() for line in full.get_lines()} >= set(peaks.index)
    assert full.get_title() == "Utilisation over time"
    few = plots.utilisation_over_time(series, ax=axes(), max_lines=3)
    drawn = [line.get_label() for line in few.get_lines() if line.get_label() in peaks.index]
    assert len(drawn) == 3
    assert min(peaks[drawn]) >= max(peaks.drop(drawn))       # the highest peaks
    assert f"the 3 most utilised of {len(peaks)} pools" in few.get_title()


def test_the_org_graph_draws_the_first_rows_when_folders_alone_do_not_fit():
    from simkit.engine import Simulation

    sim = Simulation(management_account="mgmt", quotas={"rd_members": 200, "rd_folders": 200})
    for i in range(150):
        sim.org.add_folder(f"F{i:03d}")
        sim.org.add_account(f"a{i:03d}", f"F{i:03d}")
    ax = plots.org_graph(sim, ax=None)
    assert len(ax.texts) == plots.MAX_ROWS
    assert ax.figure.get_figheight() <= 40
    rows = 1 + 150 + 150 + 1                    # Root, the folders, their accounts, mgmt
    assert f"(the first {plots.MAX_ROWS} of {rows} rows)" in ax.get_title()
