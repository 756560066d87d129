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

__all__ = ["ACCESS_COLOURS", "TYPE_COLOURS", "address_map", "ip_count_text", "org_graph",
           "permission_heatmap", "utilisation_bars", "utilisation_over_time"]

#: Colours of the allocation types (address map, utilisation bars).
TYPE_COLOURS = {"VPC": "#4c72b0", "Custom": "#dd8452", "IpamPool": "#8172b3"}
#: Colours of the ``access`` values of :func:`simkit.analysis.reports.permission_audit`.
ACCESS_COLOURS = {"not_visible": "#e5e5e5", "forbidden": "#d65f5f", "limited": "#f0c05a",
                  "full": "#6acc64", "owner": "#2a7f3a"}
_FREE = "#f4f4f4"


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

    cmap = colormaps["tab20" if len(names) > 10 else "tab10"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


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


def utilisation_bars(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """One horizontal bar per pool: its utilisation, split by allocation type.

    ``frame`` is :func:`simkit.analysis.reports.utilisation`; the dashed line marks
    100%, and each bar is labelled with its percentage and IPs.
    """
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
    ax.set_title("Utilisation per pool")
    if len(pools):
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def utilisation_over_time(series: pd.DataFrame, ax: Axes | None = None, *,
                          pools: list[str] | None = None) -> Axes:
    """Each pool's utilisation over the run, as steps.

    ``series`` is :func:`simkit.analysis.reports.utilisation_series`; each pool's
    last value is held to the end of the series.  When every change happened
    at one clock time, the x axis counts the changes instead.
    """
    ax = _axes(ax)
    if pools is None:
        pools = list(dict.fromkeys(series["pool"]))
    by_time = len(series) > 0 and series["time"].nunique() > 1
    x_all = series["time"] if by_time else list(range(len(series)))
    end = max(x_all) if len(series) else 0
    for pool in pools:
        mask = (series["pool"] == pool).to_numpy()
        xs = [x for x, m in zip(x_all, mask, strict=True) if m]
        ys = [100 * u for u in series.loc[mask, "utilisation"]]
        if not xs:
            continue
        ax.step([*xs, end], [*ys, ys[-1]], where="post", label=pool)
    ax.set_ylim(0, 105)
    ax.axhline(100, color="#333333", linestyle="--", linewidth=1)
    ax.set_ylabel("utilisation (%)")
    ax.set_xlabel("time" if by_time else "change number (all at one clock time)")
    ax.set_title("Utilisation over time")
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
                scale: str | None = None) -> Axes:
    """The address space of one pool: provisioned CIDRs as a strip, allocations on it.

    Provisioned CIDRs are drawn side by side in address order, each as wide
    as it is large (a gap separates CIDRs that are not contiguous) and
    labelled underneath; allocations are coloured by the account holding
    them (``colour_by="account"``) or by type (``"type"``); free space stays
    pale.  An allocation's CIDR is written on it where it fits.

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
        return _log_map(model, p, ax, colour_by, fontsize)
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
    colours = TYPE_COLOURS if colour_by == "type" else _palette(sorted(keys))
    ax.set_xlim(-0.01 * width, 1.01 * width)
    ax.set_ylim(-0.35, 1.1)
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
    for a in allocs:
        home = p.space.provisioned_cidr_of(a.cidr)
        start = offsets[home] + (a.cidr.value - home.value)
        label = str(a.cidr)
        how = _fits(ax, label, a.cidr.size, 1.0, fontsize)
        if how is not None:
            ax.text(start + a.cidr.size / 2, 0.5, label, ha="center", va="center",
                    fontsize=fontsize, color="white", rotation=0 if how == "h" else 90)
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


def _log_map(model: Any, p: Any, ax: Axes, colour_by: str, fontsize: float) -> Axes:
    """:func:`address_map` with ``scale="log"``: blocks in address order, width log2(size)+1."""
    allocs = {a.cidr: a for a in model.allocations.values() if a.pool == p.id}
    blocks = sorted([*allocs, *p.space.free_blocks()])
    keys = list(dict.fromkeys(_holder_of(model, allocs[c], colour_by)
                              for c in blocks if c in allocs))
    colours = TYPE_COLOURS if colour_by == "type" else _palette(sorted(keys))
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
def org_graph(data: Any, ax: Axes | None = None, *, seed: int = 0) -> Axes:
    """The organisation: folders, accounts and pools, with shares from pools to principals.

    Folders (squares) hold accounts (circles; external accounts are
    diamonds); each pool (triangle) hangs from its owner (grey dashes); each
    active share draws an arrow from each of its pools to each principal
    (the whole directory points at Root), dotted while an external account
    has not accepted.  The layout is a spring layout seeded with ``seed``.
    """
    import networkx as nx
    from matplotlib.lines import Line2D

    sim = _sim(data)
    org, model = sim.org, sim.model
    ax = _axes(ax, (9, 7))
    g = nx.Graph()
    kind: dict[str, str] = {}
    for folder in org.folders():
        node = f"folder:{folder}"
        kind[node] = "folder"
        g.add_node(node)
        if folder != "Root":
            parent = folder.rpartition("/")[0] or "Root"
            g.add_edge(f"folder:{parent}", node, style="tree")
    for account in org.members():
        kind[account] = "account"
        g.add_edge(f"folder:{org.folder_of(account)}", account, style="tree")
    for account in org.externals():
        kind[account] = "external"
        g.add_node(account)
    for p in model.pools.values():
        node = f"pool:{p.id}"
        kind[node] = "pool"
        if p.owner not in kind:
            kind[p.owner] = "account"
        g.add_edge(p.owner, node, style="owns")
    shares = [s for s in sim.shares.all() if s.active]
    share_colours = _palette([s.id for s in shares])
    arrows = []
    accepted = {(i.share, i.account) for i in sim.shares.invitations() if i.status == "Accepted"}
    for s in shares:
        for principal in s.principals:
            if principal.kind == "rd":
                target = "folder:Root"
            elif principal.kind == "folder":
                target = f"folder:{principal.value}"
            else:
                target = principal.value
                kind.setdefault(target, "external")
            dotted = kind.get(target) == "external" and (s.id, target) not in accepted
            for pid in s.resources:
                if f"pool:{pid}" in kind:
                    arrows.append((f"pool:{pid}", target, share_colours[s.id], dotted))
                    g.add_edge(f"pool:{pid}", target, style="share")
    pos = nx.spring_layout(g, seed=seed, k=1.6 / max(len(g), 1) ** 0.5)
    styles = {"tree": ("#777777", "solid"), "owns": ("#aaaaaa", "dashed")}
    for style, (colour, line) in styles.items():
        edges = [(u, v) for u, v, d in g.edges(data=True) if d["style"] == style]
        nx.draw_networkx_edges(g, pos, edgelist=edges, ax=ax, edge_color=colour, style=line,
                               width=1.0)
    for source, target, colour, dotted in arrows:
        nx.draw_networkx_edges(nx.DiGraph([(source, target)]), pos, ax=ax, edge_color=[colour],
                               style="dotted" if dotted else "solid", width=1.8, arrows=True,
                               arrowsize=14, connectionstyle="arc3,rad=0.12",
                               node_size=500)
    shapes = {"folder": ("s", "#c6dbef"), "account": ("o", "#fdd0a2"),
              "external": ("D", "#d9d9d9"), "pool": ("^", "#a1d99b")}
    for k, (marker, colour) in shapes.items():
        nodes = [n for n in g.nodes if kind.get(n) == k]
        nx.draw_networkx_nodes(g, pos, nodelist=nodes, ax=ax, node_shape=marker,
                               node_color=colour, edgecolors="#555555", node_size=500)
    labels = {n: n.partition(":")[2] if kind.get(n) in ("folder", "pool") else n
              for n in g.nodes}
    labels = {n: t.rpartition("/")[2] if kind.get(n) == "folder" else t
              for n, t in labels.items()}
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=8)
    handles = [Line2D([], [], marker=m, linestyle="", markerfacecolor=c,
                      markeredgecolor="#555555", markersize=9, label=k)
               for k, (m, c) in shapes.items()]
    handles += [Line2D([], [], color=share_colours[s.id], linewidth=1.8, label=f"share {s.id}")
                for s in shares]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    ax.set_title("Organisation and resource shares")
    ax.set_axis_off()
    return ax


# -- permissions -----------------------------------------------------------------------------
def permission_heatmap(frame: pd.DataFrame, ax: Axes | None = None, *,
                       hide_unseen: bool = True) -> Axes:
    """The permission audit as a grid: (account, pool) rows, action columns.

    ``frame`` is :func:`simkit.analysis.reports.permission_audit`; each cell is
    coloured by its ``access`` (:data:`ACCESS_COLOURS`).  With
    ``hide_unseen`` the pairs where the account does not see the pool at
    all are left out (the title says how many).
    """
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
    ax = _axes(ax, (10, 0.32 * max(len(pairs), 1) + 2.5))
    grid = [[cell[(*pair, act)] for act in actions] for pair in pairs]
    if grid:
        ax.imshow(grid, cmap=ListedColormap(list(ACCESS_COLOURS.values())), vmin=-0.5,
                  vmax=len(levels) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(actions)), actions, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(pairs)), [f"{a} / {p}" for a, p in pairs], fontsize=7)
    ax.set_xticks([x - 0.5 for x in range(1, len(actions))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(pairs))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    title = "Permission audit (account / pool x action)"
    if hidden:
        title += f"; {hidden} pairs without access hidden"
    ax.set_title(title, fontsize=10)
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#999999", label=k.replace("_", " "))
                       for k, c in ACCESS_COLOURS.items()],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax
