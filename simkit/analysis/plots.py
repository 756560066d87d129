"""Figures of a simulation: utilisation, address maps, time series, the org, permissions.

Every function draws on ``ax`` (a new figure's Axes when ``ax`` is None),
returns the Axes and never calls ``plt.show()``.  The frame-based figures
take the frames of :mod:`simkit.analysis.reports`; the others take a simulation (or a
run).  matplotlib is imported inside the functions, so ``import simkit``
never imports it.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from simkit.engine import Simulation
>>> from simkit import reports
>>> sim = Simulation(management_account="net")
>>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
>>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1",
...            cidrs=["10.0.0.0/24"])
>>> _ = sim.do("net", "create_vpc", vpc="v1", pool="p", mask=26)
>>> ax = utilisation_bars(reports.utilisation(sim))
>>> [t.get_text() for t in ax.get_yticklabels()]
['p']
>>> address_map(sim, "p").get_title()
'pool p: 25.0% of 256 IPs allocated'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from ..engine.simulation import Simulation

__all__ = ["ACCESS_COLOURS", "MAX_LINES", "MAX_LISTED", "MAX_ROWS", "TYPE_COLOURS",
           "account_colours", "address_map", "history_timeline", "ip_count_text", "org_graph",
           "permission_heatmap", "pool_hierarchy", "refusals_over_time", "utilisation_bars",
           "utilisation_over_time"]

#: Colours of the allocation types (address map, utilisation bars).
TYPE_COLOURS = {"VPC": "#4c72b0", "Custom": "#dd8452", "IpamPool": "#8172b3"}
#: Colours of the ``access`` values of :func:`simkit.analysis.reports.permission_audit`.
ACCESS_COLOURS = {"not_visible": "#e5e5e5", "forbidden": "#d65f5f", "limited": "#f0c05a",
                  "full": "#6acc64", "owner": "#2a7f3a"}
_FREE = "#f4f4f4"

#: Above this many rows the organisation, pool and permission figures group what they show
#: (about 80 rows of 8-point labels fit a PNG three screens tall).
MAX_ROWS = 80
#: The organisation figure draws a folder's accounts one by one up to this many, an
#: account's pools up to this many; beyond, one node stands for them.
MAX_LISTED = 12
#: Most lines a line chart draws (one per pool): a dozen colours stay distinguishable.
MAX_LINES = 12


def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size)
    return ax


def _sim(data: Any) -> Simulation:
    """A simulation from a simulation or a run."""
    return getattr(data, "simulation", data)


def _palette(names: list[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    if len(names) <= 10:
        colours = list(colormaps["tab10"].colors)
    else:       # up to 60 distinct colours before any repeats
        colours = [*colormaps["tab20"].colors, *colormaps["tab20b"].colors,
                   *colormaps["tab20c"].colors]
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def account_colours(data: Any) -> dict[str, Any]:
    """One colour per account of a simulation (members, externals, allocation holders).

    Pass it to every :func:`address_map` of a report, so that an account has
    the same colour in every pool.
    """
    sim = _sim(data)
    accounts = set(sim.org.members()) | set(sim.org.externals())
    accounts |= {p.owner for p in sim.model.pools.values()}
    accounts |= {v.owner for v in sim.model.vpcs.values()}
    accounts |= {a.created_by for a in sim.model.allocations.values()}
    return _palette(sorted(accounts))


# -- utilisation ---------------------------------------------------------------------------
def ip_count_text(n: int) -> str:
    """An IP count as a label: digits up to 2**40, then exactly as ``m×2^k`` (m odd).

    IPv6 counts are too long to read digit by digit; as a multiple of a power of two
    they stay exact and show the block sizes (a /56 holds 2^72 addresses).  A count
    whose odd factor has more than three digits is shown as ``≈2^x`` to two decimals.

    >>> ip_count_text(65536), ip_count_text(2**72), ip_count_text(3 * 2**72)
    ('65,536', '2^72', '3×2^72')
    """
    n = int(n)
    if n < 1 << 40:
        return f"{n:,}"
    k = (n & -n).bit_length() - 1
    m = n >> k
    if m == 1:
        return f"2^{k}"
    if m < 1000:
        return f"{m}×2^{k}"
    return f"≈2^{math.log2(n):.2f}"


def utilisation_bars(frame: pd.DataFrame, ax: Axes | None = None, *,
                     max_rows: int = MAX_ROWS) -> Axes:
    """One horizontal bar per pool: its utilisation, split by allocation type.

    ``frame`` is :func:`simkit.analysis.reports.utilisation`; the dashed line marks
    100%, and each bar is labelled with its percentage and IPs.  With more
    than ``max_rows`` pools, the ``max_rows`` most used are drawn, in the
    frame's order, and the title says so.
    """
    title = "Utilisation per pool"
    if len(frame) > max_rows:
        title += f" (the {max_rows} most used of {len(frame)} pools)"
        frame = frame.loc[frame["utilisation"].nlargest(max_rows).index.sort_values()]
    ax = _axes(ax, (8, 0.45 * max(len(frame), 1) + 1.4))
    pools = [str(p) for p in frame["pool"]]
    y = list(range(len(pools)))
    left = [0.0] * len(pools)
    for kind, column in (("VPC", "allocated_vpc_ips"), ("Custom", "allocated_custom_ips"),
                         ("IpamPool", "allocated_ipam_pool_ips")):
        widths = [100 * a / p if p else 0.0
                  for a, p in zip(frame[column], frame["provisioned_ips"], strict=True)]
        ax.barh(y, widths, left=left, color=TYPE_COLOURS[kind], label=kind, height=0.6)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.axvline(100, color="#333333", linestyle="--", linewidth=1)
    for i, row in enumerate(frame.itertuples(index=False)):
        ax.text(left[i] + 1.5, i, f"{row.utilisation:.1%}  "
                f"({ip_count_text(row.allocated_ips)}/{ip_count_text(row.provisioned_ips)} IPs)",
                va="center", fontsize=8)
    ax.set_yticks(y, pools)
    ax.invert_yaxis()
    ax.set_xlim(0, 135)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("allocated / provisioned IPs (%)")
    ax.set_title(title)
    if len(pools):
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def utilisation_over_time(series: pd.DataFrame, ax: Axes | None = None, *,
                          pools: list[str] | None = None,
                          thresholds: pd.DataFrame | None = None, end: Any = None,
                          max_lines: int = MAX_LINES) -> Axes:
    """Each pool's utilisation over the run, as steps.

    ``series`` is :func:`simkit.analysis.reports.utilisation_series`; each pool's
    last value is held to the end of the series.  When every change happened
    at one clock time, the x axis counts the changes instead.  ``thresholds``
    (:func:`simkit.analysis.reports.thresholds`) adds a marker where each pool
    first reached each level, and a dotted line per level.  ``end`` (a time)
    extends every pool's last value to it, such as the clock at the end of
    the run.  Without ``pools``, at most ``max_lines`` pools are drawn: those
    whose utilisation rose highest (the first in the series on a tie), and
    the title says how many of how many.
    """
    ax = _axes(ax)
    by_time = len(series) > 0 and series["time"].nunique() > 1
    x_all = list(series["time"]) if by_time else list(range(len(series)))
    last = max(x_all) if len(series) else 0
    end = max(last, end) if by_time and end is not None else last
    rows: dict[str, tuple[list[Any], list[float]]] = {}
    for x, pool, u in zip(x_all, series["pool"], series["utilisation"], strict=True):
        xs, ys = rows.setdefault(pool, ([], []))
        xs.append(x)
        ys.append(100 * u)
    title = "Utilisation over time"
    if pools is None:
        pools = list(rows)
        if len(pools) > max_lines:
            peak = {pool: max(rows[pool][1]) for pool in pools}
            first = {pool: i for i, pool in enumerate(pools)}
            shown = set(sorted(pools, key=lambda q: (-peak[q], first[q]))[:max_lines])
            title += f": the {max_lines} most utilised of {len(pools)} pools"
            pools = [q for q in pools if q in shown]
    for pool in pools:
        if pool not in rows:
            continue
        xs, ys = rows[pool]
        line = ax.step([*xs, end], [*ys, ys[-1]], where="post", label=pool)[0]
        if thresholds is not None and by_time:
            hits = thresholds[thresholds["pool"] == pool]
            ax.scatter(list(hits["time"]), [100 * u for u in hits["utilisation"]],
                       color=line.get_color(), marker="o", s=28, zorder=3,
                       edgecolors="black", linewidths=0.6)
    if thresholds is not None:
        for level in sorted(set(thresholds["threshold"])):
            if level < 1:
                ax.axhline(100 * level, color="#999999", linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 105)
    ax.axhline(100, color="#333333", linestyle="--", linewidth=1)
    ax.set_ylabel("utilisation (%)")
    ax.set_xlabel("time" if by_time else "change number (all at one clock time)")
    ax.set_title(title)
    if by_time:
        ax.figure.autofmt_xdate()
    if pools:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


# -- address map ---------------------------------------------------------------------------
def _fits(ax: Axes, text: str, width: float, height: float, fontsize: float) -> str | None:
    """How ``text`` fits a box of data ``width`` x ``height``: "h", "v" or None."""
    bbox = ax.get_window_extent()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w_px = width / (x1 - x0) * bbox.width
    h_px = height / (y1 - y0) * bbox.height
    px = fontsize * ax.figure.dpi / 72
    length = 0.62 * px * len(text)
    if length + 4 <= w_px and px + 2 <= h_px:
        return "h"
    if px + 2 <= w_px and length + 4 <= h_px:
        return "v"
    return None


def address_map(data: Any, pool: str, ax: Axes | None = None, *,
                colour_by: str = "account", fontsize: float = 7,
                colours: dict[str, Any] | None = None, unlabelled: int = 6,
                scale: str | None = None) -> Axes:
    """The address space of one pool: provisioned CIDRs as a strip, allocations on it.

    Provisioned CIDRs are drawn side by side in address order, each as wide
    as it is large (a gap separates CIDRs that are not contiguous) and
    labelled underneath; allocations are coloured by the account holding
    them (``colour_by="account"``; ``colours`` maps accounts to colours, by
    default :func:`account_colours`, the same in every pool) or by type
    (``"type"``); free space stays pale.  An allocation's CIDR is written on
    it where it fits (else its mask, where that fits); the first
    ``unlabelled`` of those not written out in full are listed under the
    strip, with their holder.

    ``scale="log"`` (the default for IPv6 pools, where a /56 is a 65536th of
    a /40) draws every allocation and every maximal free block in address
    order, each as wide as ``log2`` of its size plus one, so blocks of very
    different sizes all stay visible and labelled; ``"linear"`` (the default
    for IPv4) draws widths in proportion to size.
    """
    if colour_by not in ("account", "type"):
        raise ValueError(f"colour_by is 'account' or 'type', not {colour_by!r}")
    sim = _sim(data)
    model = sim.model
    p = model.pools[pool]
    if scale is None:
        scale = "log" if p.version == 6 else "linear"
    if scale not in ("linear", "log"):
        raise ValueError(f"scale is 'linear' or 'log', not {scale!r}")
    ax = _axes(ax, (10, 2.2))
    if scale == "log":
        return _log_map(model, p, ax, colour_by, fontsize,
                        colours if colours is not None else account_colours(sim))
    cidrs = p.space.provisioned()
    total = sum(c.size for c in cidrs) or 1
    gap = 0.015 * total
    offsets: dict[Any, float] = {}
    x = 0.0
    for i, c in enumerate(cidrs):
        if i and cidrs[i - 1].last + 1 != c.value:
            x += gap
        offsets[c] = x
        x += c.size
    width = x or 1.0
    allocs = sorted((a for a in model.allocations.values() if a.pool == pool),
                    key=lambda a: a.cidr)

    def holder(a: Any) -> str:
        if colour_by == "type":
            return a.type
        vpc = model.vpcs.get(a.resource) if a.type == "VPC" else None
        return vpc.owner if vpc is not None else a.created_by

    keys = list(dict.fromkeys(holder(a) for a in allocs))
    if colour_by == "type":
        colours = TYPE_COLOURS
    elif colours is None:
        colours = account_colours(sim)
    ax.set_xlim(-0.01 * width, 1.01 * width)
    ax.set_ylim(-0.6, 1.1)
    for c in cidrs:
        ax.broken_barh([(offsets[c], c.size)], (0, 1), facecolor=_FREE, edgecolor="#999999",
                       hatch="//", linewidth=0.8)
        ax.text(offsets[c], -0.08, str(c), ha="left", va="top", fontsize=fontsize,
                color="#333333")
    # an allocation narrower than two pixels is drawn two pixels wide, without the white
    # edge, so that a /24 in a /12 stays visible
    thin = 2 * (ax.get_xlim()[1] - ax.get_xlim()[0]) / max(ax.get_window_extent().width, 1)
    by_key: dict[str, list[tuple[float, float]]] = {}
    for a in allocs:
        home = p.space.provisioned_cidr_of(a.cidr)
        start = offsets[home] + (a.cidr.value - home.value)
        by_key.setdefault(holder(a), []).append((start, max(a.cidr.size, thin)))
    for key in keys:
        ax.broken_barh(by_key[key], (0, 1), facecolor=colours[key], edgecolor="white",
                       linewidth=[0.5 if w > thin else 0.0 for _, w in by_key[key]],
                       label=key)
    small = []
    for a in allocs:
        home = p.space.provisioned_cidr_of(a.cidr)
        start = offsets[home] + (a.cidr.value - home.value)
        label = str(a.cidr)
        how = _fits(ax, label, a.cidr.size, 1.0, fontsize)
        if how is None and _fits(ax, f"/{a.cidr.prefixlen}", a.cidr.size, 1.0, fontsize):
            label, how = f"/{a.cidr.prefixlen}", _fits(ax, f"/{a.cidr.prefixlen}",
                                                       a.cidr.size, 1.0, fontsize)
            small.append(a)
        if how is not None:
            ax.text(start + a.cidr.size / 2, 0.5, label, ha="center", va="center",
                    fontsize=fontsize, color="white", rotation=0 if how == "h" else 90)
        else:
            small.append(a)
    if small and unlabelled:
        listed = ", ".join(f"{a.cidr} ({holder(a)})" for a in small[:unlabelled])
        more = f" and {len(small) - unlabelled} more" if len(small) > unlabelled else ""
        ax.text(0, -0.3, f"not written out: {listed}{more}", ha="left", va="top",
                fontsize=fontsize - 0.5, color="#555555")
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    figures = model.utilisation(pool)
    ax.set_title(f"pool {pool}: {figures['utilisation']:.1%} of "
                 f"{ip_count_text(figures['provisioned_ips'])} IPs allocated",
                 fontsize=fontsize + 3)
    if keys:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=fontsize,
                  frameon=False, title="type" if colour_by == "type" else "account",
                  title_fontsize=fontsize)
    return ax


def _holder_of(model: Any, a: Any, colour_by: str) -> str:
    if colour_by == "type":
        return a.type
    vpc = model.vpcs.get(a.resource) if a.type == "VPC" else None
    return vpc.owner if vpc is not None else a.created_by


def _log_map(model: Any, p: Any, ax: Axes, colour_by: str, fontsize: float,
             accounts: dict[str, Any]) -> Axes:
    """:func:`address_map` with ``scale="log"``: blocks in address order, width log2(size)+1."""
    allocs = {a.cidr: a for a in model.allocations.values() if a.pool == p.id}
    blocks = sorted([*allocs, *p.space.free_blocks()])
    keys = list(dict.fromkeys(_holder_of(model, allocs[c], colour_by)
                              for c in blocks if c in allocs))
    colours = TYPE_COLOURS if colour_by == "type" else accounts
    widths = [c.width - c.prefixlen + 1 for c in blocks]
    total = sum(widths) or 1
    ax.set_xlim(-0.01 * total, 1.01 * total)
    ax.set_ylim(-0.35, 1.1)
    x, drawn = 0.0, set()
    for c, w in zip(blocks, widths, strict=True):
        a = allocs.get(c)
        if a is None:
            ax.broken_barh([(x, w)], (0, 1), facecolor=_FREE, edgecolor="#999999", hatch="//",
                           linewidth=0.8)
            colour = "#333333"
        else:
            key = _holder_of(model, a, colour_by)
            ax.broken_barh([(x, w)], (0, 1), facecolor=colours[key], edgecolor="white",
                           linewidth=0.8, label=None if key in drawn else key)
            drawn.add(key)
            colour = "white"
        label = str(c)
        how = _fits(ax, label, w, 1.0, fontsize)
        if how is not None:
            ax.text(x + w / 2, 0.5, label, ha="center", va="center", fontsize=fontsize,
                    color=colour, rotation=0 if how == "h" else 90)
        x += w
    ax.text(0, -0.08, ", ".join(str(c) for c in p.space.provisioned()), ha="left", va="top",
            fontsize=fontsize, color="#333333")
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    figures = model.utilisation(p.id)
    ax.set_title(f"pool {p.id}: {figures['utilisation']:.1%} of "
                 f"{ip_count_text(figures['provisioned_ips'])} IPs allocated "
                 "(block widths by log2 of size; hatched: free)", fontsize=fontsize + 3)
    if keys:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=fontsize,
                  frameon=False, title="type" if colour_by == "type" else "account",
                  title_fontsize=fontsize)
    return ax


# -- organisation ----------------------------------------------------------------------------
def _tree(children: dict[str, list[str]], roots: list[str]) -> dict[str, tuple[float, float]]:
    """Positions of a forest laid out as an outline: x the depth, y the row.

    Every node has a row of its own, below its parent and above its children
    (as a file browser shows folders), so no label ever overlaps another.
    """
    pos: dict[str, tuple[float, float]] = {}

    def place(node: str, depth: int) -> None:
        pos[node] = (float(depth), float(len(pos)))
        for kid in children.get(node, []):
            place(kid, depth + 1)

    for root in roots:
        place(root, 0)
    return pos


_SHAPES = {"folder": ("s", "#c6dbef"), "account": ("o", "#fdd0a2"),
           "external": ("D", "#d9d9d9"), "pool": ("^", "#a1d99b")}


def _draw_tree(ax: Axes, pos: dict[str, tuple[float, float]], children: dict[str, list[str]],
               kind: dict[str, str], labels: dict[str, str], fontsize: float) -> None:
    """Elbow edges parent to child, a marker per node and its label to the right of it."""
    for parent, kids in children.items():
        if parent not in pos:
            continue
        x0, y0 = pos[parent]
        for kid in kids:
            if kid not in pos:
                continue
            x1, y1 = pos[kid]
            style = "dashed" if kind.get(kid) == "pool" and kind.get(parent) != "pool" else "solid"
            ax.plot([x0, x0, x1], [y0, y1, y1], color="#999999", linewidth=0.9,
                    linestyle=style, zorder=1)
    for k, (marker, colour) in _SHAPES.items():
        nodes = [n for n in pos if kind.get(n) == k]
        if nodes:
            ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes], marker=marker,
                       s=90, c=colour, edgecolors="#555555", linewidths=0.8, zorder=3)
    for n, (x, y) in pos.items():
        ax.text(x + 0.08, y, labels.get(n, n), va="center", ha="left", fontsize=fontsize,
                zorder=4, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                "edgecolor": "none", "alpha": 0.8})


def _org_tree(sim: Any, max_listed: int) -> tuple[dict[str, tuple[float, float]],
                                                 dict[str, list[str]], dict[str, str],
                                                 dict[str, str], list[Any]]:
    """The nodes of :func:`org_graph` with groups above ``max_listed``: positions,
    children, kinds, the nodes drawn as a group node, and the active shares."""
    org, model = sim.org, sim.model
    folders = org.folders()
    children: dict[str, list[str]] = {f"folder:{f}": [] for f in folders}
    kind: dict[str, str] = {f"folder:{f}": "folder" for f in folders}
    for folder in folders[1:]:
        parent = folder.rpartition("/")[0] or "Root"
        children[f"folder:{parent}"].append(f"folder:{folder}")
    alias: dict[str, str] = {}      # an account or pool node drawn as a group node
    in_folder: dict[str, list[str]] = {}
    for account in org.members():
        in_folder.setdefault(f"folder:{org.folder_of(account)}", []).append(account)
    for folder, accounts in in_folder.items():
        if len(accounts) > max_listed:
            group = f"accounts:{folder}"
            kind[group] = "account"
            children[folder].append(group)
            alias.update(dict.fromkeys(accounts, group))
            continue
        for account in accounts:
            kind[account] = "account"
            children[folder].append(account)
    externals = list(org.externals())
    for account in externals:
        kind[account] = "external"
    pools_of: dict[str, list[str]] = {}
    for p in model.pools.values():
        kind[f"pool:{p.id}"] = "pool"
        pools_of.setdefault(p.owner, []).append(f"pool:{p.id}")
        if p.owner not in kind and p.owner not in alias:
            kind[p.owner] = "external"
            externals.append(p.owner)
    for owner in list(pools_of):
        if owner in alias:            # drawn inside a group of accounts
            alias.update(dict.fromkeys(pools_of.pop(owner), alias[owner]))
        elif len(pools_of[owner]) > max_listed:
            group = f"pools:{owner}"
            kind[group] = "pool"
            alias.update(dict.fromkeys(pools_of[owner], group))
            pools_of[owner] = [group]
    shares = [s for s in sim.shares.all() if s.active]
    for s in shares:
        for principal in s.principals:
            if principal.kind not in ("rd", "folder") and principal.value not in kind \
                    and principal.value not in alias:
                kind[principal.value] = "external"
                externals.append(principal.value)
    for owner, pools in pools_of.items():
        children.setdefault(owner, []).extend(pools)
    pos = _tree(children, ["folder:Root", *externals])
    return pos, children, kind, alias, shares


def org_graph(data: Any, ax: Axes | None = None, *, seed: int = 0,
              fontsize: float = 8, max_listed: int = MAX_LISTED,
              max_rows: int = MAX_ROWS) -> Axes:
    """The organisation: folders, accounts and pools, with shares from pools to principals.

    Drawn as a tree from left to right: Root, folders (squares), accounts
    (circles; external accounts are diamonds, below), then the pools each
    account owns (triangles, dashed).  Each leaf has a row of its own, so
    boxes never overlap however many accounts there are.  Each active share
    draws a coloured arc from each of its pools to each principal (a folder,
    Root for the whole directory, or an account), dotted while an external
    account has not accepted.  ``seed`` is accepted for compatibility; the
    layout is deterministic.

    A folder with more than ``max_listed`` accounts draws them as one node
    ("N accounts", their pools not drawn), and an account owning more than
    ``max_listed`` pools draws them as one node ("N pools"); shares then
    point to and from those nodes, and the title says so.  When the tree
    would still have more than ``max_rows`` rows, the limit is lowered until
    it fits, down to 1; if it still does not fit (more folders than rows), the
    first ``max_rows`` rows are drawn and the title says how many there are, so
    the figure stays a few screens tall whatever the size of the company.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    sim = _sim(data)
    listed = max_listed
    pos, children, kind, alias, shares = _org_tree(sim, listed)
    while len(pos) > max_rows and listed > 1:
        listed -= 1
        pos, children, kind, alias, shares = _org_tree(sim, listed)
    rows = len(pos)
    if rows > max_rows:             # more folders than rows: the first rows (tree order)
        pos = dict(list(pos.items())[:max_rows])
    ax = _axes(ax, (10, 0.32 * max(len(pos), 1) + 1.5))
    sizes = {group: 0 for group in alias.values()}
    for node, group in alias.items():
        if not node.startswith("pool:") or group.startswith("pools:"):
            sizes[group] += 1
    labels = {n: (f"{sizes[n]} accounts" if n.startswith("accounts:")
                  else f"{sizes[n]} pools" if n.startswith("pools:")
                  else n.partition(":")[2].rpartition("/")[2] if kind[n] == "folder"
                  else n.partition(":")[2] if kind[n] == "pool" else n) for n in pos}
    _draw_tree(ax, pos, children, kind, labels, fontsize)
    share_colours = _palette([s.id for s in shares])
    accepted = {(i.share, i.account) for i in sim.shares.invitations() if i.status == "Accepted"}
    drawn = set()
    for s in shares:
        for principal in s.principals:
            target = ("folder:Root" if principal.kind == "rd" else
                      f"folder:{principal.value}" if principal.kind == "folder"
                      else principal.value)
            dotted = kind.get(target) == "external" and (s.id, target) not in accepted
            target = alias.get(target, target)
            if target not in pos:
                continue
            for pid in s.resources:
                source = alias.get(f"pool:{pid}", f"pool:{pid}")
                if source in pos and (s.id, source, target) not in drawn:
                    drawn.add((s.id, source, target))
                    ax.add_patch(FancyArrowPatch(
                        pos[source], pos[target], connectionstyle="arc3,rad=-0.25",
                        arrowstyle="-|>", mutation_scale=10, color=share_colours[s.id],
                        linewidth=1.4, linestyle="dotted" if dotted else "solid",
                        shrinkA=6, shrinkB=6, zorder=2))
    xs = [x for x, _ in pos.values()] or [0]
    ys = [y for _, y in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.3, max(xs) + 1.6)
    ax.set_ylim(max(ys) + 0.8, min(ys) - 0.8)
    handles = [Line2D([], [], marker=m, linestyle="", markerfacecolor=c,
                      markeredgecolor="#555555", markersize=8, label=k)
               for k, (m, c) in _SHAPES.items()]
    handles += [Line2D([], [], color=share_colours[s.id], linewidth=1.6, label=f"share {s.id}")
                for s in shares[:max_rows // 4]]
    if len(shares) > max_rows // 4:
        handles.append(Line2D([], [], linestyle="", label=f"and {len(shares) - max_rows // 4} "
                                                          "more shares"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    title = "Organisation and active resource shares"
    if alias:
        title += (f"\n(folders with more than {listed} accounts and accounts with more "
                  f"than {listed} pools are drawn as one node each)")
    if rows > len(pos):
        title += f"\n(the first {len(pos)} of {rows} rows)"
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def pool_hierarchy(data: Any, ax: Axes | None = None, *, fontsize: float = 8,
                   max_rows: int = MAX_ROWS) -> Axes:
    """The pools as a tree from each top-level pool to its children, with their CIDRs.

    Each pool is labelled with its id, owner, provisioned CIDRs (the first
    three, and how many more) and utilisation; IPAMs are the roots.  When
    there are more than ``max_rows`` rows, the deepest levels are folded: a
    pool then shows one row for all the pools below it (how many, and how
    much of their provisioned IPs is allocated), from the deepest level up
    until the tree fits, and the title says so.
    """
    sim = _sim(data)
    model = sim.model
    children: dict[str, list[str]] = {}
    kind: dict[str, str] = {}
    depth: dict[str, int] = {}
    roots = []
    for p in model.pools.values():
        node = f"pool:{p.id}"
        kind[node] = "pool"
        parent = f"pool:{p.source}" if p.source else f"ipam:{p.ipam}"
        if parent.startswith("ipam:") and parent not in kind:
            kind[parent] = "folder"
            depth[parent] = -1
            roots.append(parent)
        children.setdefault(parent, []).append(node)
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            for kid in children.get(node, []):
                depth[kid] = depth[node] + 1
                stack.append(kid)
    labels: dict[str, str] = {}
    folded = None
    below_of = {node: list(kids) for node, kids in children.items()}
    while len(depth) > max_rows and max(depth.values(), default=0) > 0:
        folded = max(depth.values()) - 1    # fold the pools below this level into one row
        for node in [n for n, d in depth.items() if d == folded and children.get(n)]:
            below, stack = [], list(below_of[node])
            while stack:
                kid = stack.pop()
                below.append(kid.partition(":")[2])
                stack.extend(below_of.get(kid, []))
            prov = sum(model.pools[b].space.provisioned_ips for b in below)
            alloc = sum(model.pools[b].space.allocated_ips for b in below)
            group = f"below:{node}"
            children[node] = [group]
            kind[group] = "pool"
            labels[group] = (f"{_count(len(below), 'pool')} below, "
                             f"{alloc / prov if prov else 0.0:.1%} of their IPs allocated")
        depth = {n: d for n, d in depth.items() if d <= folded}
        depth.update([(f"below:{n}", folded + 1) for n in depth if f"below:{n}" in kind])
    pos = _tree(children, roots)
    ax = _axes(ax, (10, 0.45 * max(len(pos), 1) + 1.2))
    for n in pos:
        name = n.partition(":")[2]
        if n in labels:
            continue
        if kind[n] != "pool":
            labels[n] = f"IPAM {name}"
            continue
        p = model.pools[name]
        cidrs = [str(c) for c in p.space.provisioned()]
        shown = ", ".join(cidrs[:3]) + (f" +{len(cidrs) - 3}" if len(cidrs) > 3 else "")
        figures = model.utilisation(name)
        labels[n] = (f"{name} ({p.owner}): {shown or 'no CIDR'}, "
                     f"{figures['utilisation']:.1%} used")
    _draw_tree(ax, pos, children, kind, labels, fontsize)
    xs = [x for x, _ in pos.values()] or [0]
    ys = [y for _, y in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.3, max(xs) + 3.0)
    ax.set_ylim(max(ys) + 0.8, min(ys) - 0.8)
    title = "Pool hierarchy: source pool to child pools, with provisioned CIDRs"
    if folded is not None:
        title += (f"\n({len(model.pools)} pools: the pools below level {folded + 1} are "
                  f"shown as one row per pool above them)")
    ax.set_title(title)
    ax.set_axis_off()
    return ax


# -- permissions -----------------------------------------------------------------------------
def permission_heatmap(frame: pd.DataFrame, ax: Axes | None = None, *,
                       hide_unseen: bool = True, groups: dict[str, str] | None = None,
                       max_rows: int = MAX_ROWS) -> Axes:
    """The permission audit as a grid: (account, pool) rows, action columns.

    ``frame`` is :func:`simkit.analysis.reports.permission_audit`; each cell is
    coloured by its ``access`` (:data:`ACCESS_COLOURS`).  With
    ``hide_unseen`` the pairs where the account does not see the pool at
    all are left out (the title says how many).

    With more than ``max_rows`` pairs, the rows are grouped: one row per
    group of accounts (``groups`` maps an account to its group, a folder for
    instance; without it, or when that is still too many, all accounts) and
    pool, each cell coloured by the access most accounts of the group have;
    the title says so.  At most ``max_rows`` rows are drawn.
    """
    from collections import Counter

    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    levels = list(ACCESS_COLOURS)
    actions = list(dict.fromkeys(frame["action"]))
    pairs = list(dict.fromkeys(zip(frame["account"], frame["pool"], strict=True)))
    cell = {(a, p, act): levels.index(access) for a, p, act, access in
            zip(frame["account"], frame["pool"], frame["action"], frame["access"], strict=True)}
    hidden = 0
    if hide_unseen:
        kept = [pair for pair in pairs if any(cell[(*pair, act)] for act in actions)]
        hidden, pairs = len(pairs) - len(kept), kept
    grouped = ""
    if len(pairs) > max_rows:
        ways = ([("folder", groups.get)] if groups else []) + [("pool", lambda a: "all")]
        name = ""
        for way, group_of in ways:
            name = way
            members: dict[tuple[str, str], list[str]] = {}
            for a, p in pairs:
                members.setdefault((group_of(a) or "(no folder)", p), []).append(a)
            if len(members) <= max_rows:
                break
        grid = [[Counter(cell[(a, p, act)] for a in accounts).most_common(1)[0][0]
                 for act in actions] for (_, p), accounts in members.items()]
        names = [(f"{g} / {p}" if g != "all" else p) + f" ({_count(len(accounts), 'account')})"
                 for (g, p), accounts in members.items()]
        grouped = (f"; {len(pairs)} pairs grouped by {name}, each cell the access most of the "
                   f"group's accounts have")
        if len(grid) > max_rows:
            grouped += f"; first {max_rows} of {len(grid)} rows"
            grid, names = grid[:max_rows], names[:max_rows]
    else:
        grid = [[cell[(*pair, act)] for act in actions] for pair in pairs]
        names = [f"{a} / {p}" for a, p in pairs]
    ax = _axes(ax, (10, 0.32 * max(len(grid), 1) + 2.5))
    if grid:
        ax.imshow(grid, cmap=ListedColormap(list(ACCESS_COLOURS.values())), vmin=-0.5,
                  vmax=len(levels) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(actions)), actions, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(grid)), names, fontsize=7)
    ax.set_xticks([x - 0.5 for x in range(1, len(actions))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(grid))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    title = "Permission audit (account / pool x action)"
    if hidden:
        title += f"; {hidden} pairs without access hidden"
    if grouped:
        title += "\n" + grouped[2:]
    ax.set_title(title, fontsize=10)
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#999999", label=k.replace("_", " "))
                       for k, c in ACCESS_COLOURS.items()],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


# -- history and capacity ----------------------------------------------------------------------
_MARKS = {"invitation sent": ("v", "#1f77b4"), "invitation accepted": ("o", "#2a7f3a"),
          "invitation rejected": ("X", "#b22222"), "invitation expired": ("x", "#7f7f7f")}


def history_timeline(access: pd.DataFrame, timeline: pd.DataFrame, ax: Axes | None = None, *,
                     end: Any = None, max_rows: int = MAX_ROWS) -> Axes:
    """Who had access to which pool when: one bar per account and pool, invitations marked.

    ``access`` is :func:`simkit.analysis.history.access` (one bar per period,
    coloured by share; a period still open runs to ``end``, by default the
    last time of either frame) and ``timeline`` is
    :func:`simkit.analysis.history.timeline` (invitations sent, accepted,
    rejected or expired are marked on their account's rows).  When every
    change happened at one clock time, the x axis counts steps instead.
    At most ``max_rows`` rows are drawn, the first ones; the title says how
    many there are.
    """
    import matplotlib.dates as mdates
    import pandas as pd
    from matplotlib.lines import Line2D

    invites = timeline[timeline["event"].isin(list(_MARKS))]
    rows = list(dict.fromkeys(zip(access["account"], access["pool"], strict=True)))
    for account in invites["account"]:
        if not any(a == account for a, _ in rows):
            rows.append((account, ""))
    cut = ""
    if len(rows) > max_rows:
        cut = f"\n(the first {max_rows} of {len(rows)} rows; all of them in the access frame)"
        rows = rows[:max_rows]
        kept = set(rows)
        access = access[[(a, p) in kept for a, p in
                         zip(access["account"], access["pool"], strict=True)]]
        accounts = {a for a, _ in rows}
        invites = invites[invites["account"].isin(accounts)]
    ax = _axes(ax, (10, 0.3 * max(len(rows), 1) + 1.8))
    times = [*access["start"], *access["end"].dropna(), *timeline["time"]]
    if end is not None:
        times.append(pd.Timestamp(end))
    if not rows or not times:
        ax.text(0.5, 0.5, "no share gave access to any pool during the run", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    by_time = len(set(times)) > 1
    index = {row: i for i, row in enumerate(rows)}
    colours = _palette(sorted(set(access["share"])))
    if by_time:
        start, stop_all = min(times), max(times)
        span = stop_all - start
        starts = list(access["start"])
        stops = [stop_all if pd.isna(e) else e for e in access["end"]]
        marks = list(invites["time"])
    else:       # everything at one clock time: steps on the x axis
        last = max([*timeline["step"].dropna(), 1]) + 1
        start, stop_all, span = 0, last, last
        starts = [0 if pd.isna(s) else s for s in access["start_step"]]
        stops = [last if pd.isna(e) else e for e in access["end_step"]]
        marks = [0 if pd.isna(s) else s for s in invites["step"]]
    for row, first, stop in zip(access.itertuples(index=False), starts, stops, strict=True):
        width = max(stop - first, span * 0.004)
        ax.barh(index[(row.account, row.pool)], width, left=first, height=0.6,
                color=colours[row.share], edgecolor="white")
    for event, (marker, colour) in _MARKS.items():
        chosen = (invites["event"] == event).to_numpy()
        xs = [x for x, c in zip(marks, chosen, strict=True) if c]
        ys = [next(i for (a, _), i in index.items() if a == account)
              for account in invites.loc[chosen, "account"]]
        if ys:
            ax.scatter(xs, ys, marker=marker, color=colour, s=40, zorder=3)
    ax.set_yticks(range(len(rows)), [f"{a} / {p}" if p else a for a, p in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(start - span * 0.02, stop_all + span * 0.02)
    if by_time:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.tick_params(axis="x", labelsize=7, rotation=30)
    else:
        ax.set_xlabel("step (all at one clock time)")
    handles = [Line2D([], [], color=c, linewidth=6, label=f"share {k}")
               for k, c in colours.items()]
    handles += [Line2D([], [], marker=m, color=c, linestyle="", label=k)
                for k, (m, c) in _MARKS.items() if (invites["event"] == k).any()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    ax.set_title("Access to pools through shares over time (account / pool)" + cut)
    return ax


def refusals_over_time(events: pd.DataFrame, ax: Axes | None = None, *,
                       ops: tuple[str, ...] = ("create_vpc", "associate_vpc_cidr_block",
                                               "create_ipam_pool_allocation"),
                       start: Any = None, end: Any = None) -> Axes:
    """Refused space requests per pool over the run, counted up (one step line per pool).

    ``events`` is the events frame of a run; a request counts when its
    ``op`` is one of ``ops`` and its outcome an error.  Each line starts at 0
    at ``start`` and holds its count to ``end`` (default: the first and last
    event times).
    """
    from matplotlib.ticker import MaxNLocator

    refused = events[events["op"].isin(list(ops)) & (events["outcome"] == "error")
                     & events["pool"].notna()]
    ax = _axes(ax, (9, 4))
    if not len(refused):
        ax.text(0.5, 0.5, "no request was refused", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    first = events["time"].min() if start is None else start
    last = events["time"].max() if end is None else end
    for pool, group in refused.groupby("pool", sort=False):
        times = list(group["time"])
        ax.step([first, *times, last], [0, *range(1, len(times) + 1), len(times)],
                where="post", label=f"{pool}")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("refused requests (cumulative)")
    ax.set_title("Refused requests per pool")
    ax.figure.autofmt_xdate()
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
