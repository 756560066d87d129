"""The report of a run as files: every frame as CSV, every figure as PNG, one HTML page.

:func:`write` is what ``simkit report FILE --out DIR`` does.  The page,
``index.html``, is self-contained (styles inline, figures embedded as
``data:`` URIs), so it can be mailed or attached as it is.  It shows the
run's outcome (seed and parameter values included), a capacity section
(utilisation thresholds reached, refusals and exhaustion), a history
section (shares, invitations and who had access to which pool when, and
what each principal created), the other figures, and the first rows of
every frame, each with a link to its CSV file.  Tables show IPs with
thousands separators, fractions as percentages, durations in days and
times to the second.  Figures are drawn on figures of their own (no pyplot
state), so writing a report never opens a window.

Examples
--------
>>> page = render("demo", [("outcome", "ok")], {}, {})
>>> page.startswith("<!DOCTYPE html>"), "<h1>demo</h1>" in page
(True, True)
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["MAX_MAPS", "MAX_ROWS", "extra_frames", "figures", "render", "summary", "write"]

#: Rows of each frame shown on the page (the CSV files hold them all).
MAX_ROWS = 60
#: Pools drawn in the address-map figure (those with provisioned CIDRs, in creation order):
#: 20 maps of 1.9 inches keep the figure under 40 inches, four screens at the page's 110 dpi.
MAX_MAPS = 20

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1300px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
       margin-top: 2em; }
p.description { color: #555; margin-top: 0; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; }
.ok { color: #2a7f3a; font-weight: 600; } .unmet { color: #b22; font-weight: 600; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table.frame { border-collapse: collapse; font-size: 0.78em; margin: 0.5em 0; width: 100%; }
table.frame th, table.frame td { border: 1px solid #ddd; padding: 2px 5px; text-align: left;
       vertical-align: top; overflow-wrap: break-word; }
table.frame td { max-width: 24em; }
table.frame th { position: sticky; top: 0; }
ul.findings li { margin: 0.2em 0; }
table.frame th { background: #f3f3f3; }
table.frame tr:nth-child(even) td { background: #fafafa; }
.note { color: #666; font-size: 0.85em; }
nav { line-height: 1.6; } nav a { margin-right: 0.8em; } nav b { margin-right: 0.6em; }
div.scroll { overflow: auto; max-height: 36em; max-width: 100%; }
"""

#: The frames on the page, most read first (the event log, longest, last).
_PAGE_ORDER = ("utilisation", "conflicts", "scope_utilisation", "account_utilisation",
               "folder_utilisation", "allocations", "resource_cidrs", "pool_views",
               "utilisation_series", "permissions", "permission_summary", "events")
#: The frames and figures of the capacity and history sections (the others follow).
_CAPACITY = ("exhaustion", "thresholds")
_HISTORY = ("access", "timeline", "principal_activity")
_CAPACITY_FIGURES = ("utilisation_over_time", "refusals")
_HISTORY_FIGURES = ("history",)

_CAPTIONS = {
    "utilisation": "Allocated over provisioned IPs of each pool, by allocation type; the "
                   "dashed line is 100%.",
    "address_maps": "The address space of each pool: provisioned CIDRs side by side, "
                    "allocations coloured by the account holding them, free space hatched.",
    "utilisation_over_time": "Each pool's utilisation over the run; dots mark where a pool "
                             "first reached 50%, 80% and 100%.",
    "refusals": "Requests each pool refused, counted up over the run.",
    "history": "Which account saw which pool through which share, and when; invitations "
               "to outside accounts are marked.",
    "pool_hierarchy": "Pools from each IPAM's top-level pools down to their children, with "
                      "their provisioned CIDRs and utilisation.",
    "organisation": "Folders, accounts and the pools they own; arcs go from each shared pool "
                    "to the principals of its active shares.",
    "permissions": "What each account may do with each pool it sees, action by action.",
}


def _fit(fig: Figure, ax: Any, per_row: float, extra: float) -> None:
    """Make ``fig`` as tall as the rows ``ax`` shows (its y range) need."""
    bottom, top = ax.get_ylim()
    fig.set_size_inches(fig.get_figwidth(), max(per_row * abs(bottom - top) + extra, 4))


def figures(data: Any, frames: Mapping[str, Any] | None = None) -> dict[str, Figure]:
    """The report's figures of a run or simulation, each on its own Figure.

    The history figure needs a run (its recorded access); a simulation alone
    gives the others.  ``frames``: the frames of :func:`simkit.analysis.reports.frames`
    already computed for the same state, used instead of computing them again.
    """
    from matplotlib.figure import Figure

    from . import plots, reports

    sim = getattr(data, "simulation", data)
    given = frames or {}

    def frame(name: str, compute: Any, of: Any = sim) -> Any:
        return given[name] if name in given else compute(of)

    util = frame("utilisation", reports.utilisation)
    out: dict[str, Figure] = {}
    fig = Figure(figsize=(9, 0.45 * max(min(len(util), plots.MAX_ROWS), 1) + 1.6),
                 layout="constrained")
    plots.utilisation_bars(util, ax=fig.add_subplot())
    out["utilisation"] = fig
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    plots.utilisation_over_time(frame("utilisation_series", reports.utilisation_series),
                                ax=fig.add_subplot(), thresholds=reports.thresholds(sim),
                                end=sim.now)
    out["utilisation_over_time"] = fig
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    plots.refusals_over_time(frame("events", lambda s: s.events), ax=fig.add_subplot(),
                             start=sim.start, end=sim.now)
    out["refusals"] = fig
    if hasattr(data, "access_log"):
        from . import history

        access = frame("access", history.access, data)
        rows = min(len(set(zip(access["account"], access["pool"], strict=True))),
                   plots.MAX_ROWS)
        fig = Figure(figsize=(10, 0.3 * max(rows, 1) + 2), layout="constrained")
        plots.history_timeline(access, frame("timeline", history.timeline, data),
                               ax=fig.add_subplot(), end=sim.now)
        out["history"] = fig
    mapped = [p.id for p in sim.model.pools.values() if p.space.provisioned()]
    pools = mapped[:MAX_MAPS]
    fig = Figure(figsize=(11, 1.9 * max(len(pools), 1) + 0.3), layout="constrained")
    if len(mapped) > len(pools):
        fig.suptitle(f"the first {len(pools)} of {len(mapped)} pools with provisioned CIDRs, "
                     "in creation order (allocations.csv lists every block)")
    colours = plots.account_colours(sim)
    if pools:
        for i, pool in enumerate(pools, 1):
            plots.address_map(sim, pool, ax=fig.add_subplot(len(pools), 1, i), colours=colours)
    else:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no pool has provisioned CIDRs", ha="center", va="center")
        ax.set_axis_off()
    out["address_maps"] = fig
    fig = Figure(figsize=(10, 4), layout="constrained")
    _fit(fig, plots.pool_hierarchy(sim, ax=fig.add_subplot()), 0.45, 0.5)
    out["pool_hierarchy"] = fig
    fig = Figure(figsize=(10, 4), layout="constrained")
    _fit(fig, plots.org_graph(sim, ax=fig.add_subplot(), seed=sim.seed), 0.3, 1.0)
    out["organisation"] = fig
    audit = frame("permissions", reports.permission_audit)
    folders = {a: sim.org.folder_of(a) or "external" for a in set(audit["account"])}
    fig = Figure(figsize=(10, 4), layout="constrained")
    _fit(fig, plots.permission_heatmap(audit, ax=fig.add_subplot(), groups=folders), 0.3, 3)
    out["permissions"] = fig
    return out


def extra_frames(run: Any) -> dict[str, pd.DataFrame]:
    """The frames of the capacity and history sections of a run's report.

    ``exhaustion`` (:func:`simkit.analysis.whatif.exhaustion`), ``thresholds``
    (:func:`simkit.analysis.reports.thresholds`), and the history frames
    ``access``, ``timeline`` and ``principal_activity``
    (:mod:`simkit.analysis.history`).
    """
    from . import history, reports, whatif

    sim = run.simulation
    return {"exhaustion": whatif.exhaustion(sim), "thresholds": reports.thresholds(sim),
            "access": history.access(run), "timeline": history.timeline(run),
            "principal_activity": history.principal_activity(run)}


def _findings(frames: dict[str, pd.DataFrame]) -> list[str]:
    """The capacity answers in words: thresholds reached, first refusals."""
    lines = []
    for row in frames["thresholds"].itertuples(index=False):
        lines.append(f"{row.pool} reached {row.threshold:.0%} on {row.time:%Y-%m-%d %H:%M:%S} "
                     f"(day {row.days:.1f})")
    for row in frames["exhaustion"].itertuples(index=False):
        if row.refused:
            when = ("" if row.exhausted_after_days != row.exhausted_after_days else
                    f"; first refused for lack of space on {row.first_refusal:%Y-%m-%d %H:%M:%S}"
                    f" (day {row.exhausted_after_days:.1f}, request {row.request})")
            lines.append(f"{row.pool} refused {row.refused} of {row.requests} requests{when}")
    return lines


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def summary(run: Any) -> list[tuple[str, str]]:
    """The outcome of a run as (label, text) pairs, as the page's header shows them."""
    log = run.log
    steps = sum(1 for e in log if e.source == "step")
    generated = sum(1 for e in log if e.source == "demand")
    refused = sum(1 for e in log if e.source == "demand" and e.outcome == "error")
    items = [("file", str(run.scenario.file)),
             ("outcome", "every expectation met" if run.ok
              else f"{len(run.failures)} expectation(s) not met"),
             ("steps", f"{steps} steps, {generated} generated requests ({refused} refused)"),
             ("clock", f"{run.simulation.start.isoformat(timespec='seconds')} to "
                       f"{run.simulation.now.isoformat(timespec='seconds')}"),
             ("seed", str(run.simulation.seed))]
    values = getattr(run.scenario, "parameters", None)
    if values:
        items.append(("parameters", ", ".join(f"{k}={v}" for k, v in values.items())))
    from .reports import conflicts

    found = conflicts(run.simulation)
    kinds = found["kind"].value_counts(sort=False)
    items.append(("conflicts", ", ".join(f"{n} {k}" for k, n in kinds.items()) or "none"))
    for e in run.failures:
        got = f"error {e.error_code}" if e.outcome == "error" else (e.message or "ok")
        items.append((f"step {e.step}", f"{e.op}: expected {e.expected}, got {got}"))
    return items


_PERCENT = ("utilisation", "fragmentation", "pool_share", "threshold")


def _cell(column: str, value: Any) -> str:
    """One value as a planner reads it."""
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, bool):
        return str(value)
    if column in _PERCENT and isinstance(value, float):
        return f"{value:.1%}"
    if (column == "days" or column.endswith("_days")) and isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and (column.endswith("_ips") or column == "ips"):
        return f"{value:,}"
    return str(value)


def _shown(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` a reader came for first (the permissions: principals first)."""
    if name == "permissions" and len(frame):
        rank = frame["access"].map({"full": 0, "limited": 0, "forbidden": 1, "owner": 2,
                                    "not_visible": 3})
        principal = (frame["account"] != frame["pool_owner"]) & (frame["access"] != "not_visible")
        rank = rank.where(principal | (frame["access"] == "owner"), 3)
        order = rank.reset_index(drop=True).sort_values(kind="stable").index
        return frame.iloc[order]
    return frame


def _table(name: str, frame: pd.DataFrame) -> str:
    ordered = _shown(name, frame)
    head = ordered.head(MAX_ROWS)
    shown = head.astype(object).copy()
    for column in shown.columns:
        shown[column] = [_cell(str(column), v) for v in head[column]]
    note = (f"{len(frame)} rows" if len(frame) <= MAX_ROWS
            else f"first {MAX_ROWS} of {len(frame)} rows")
    if name == "permissions" and len(frame):
        note += (", principals (accounts that see pools they do not own) first, then the "
                 "owners")
    # the text is escaped by to_html: a break opportunity after each underscore lets long
    # names (create_resource_share, allocated_ips) wrap instead of widening the table
    body = (shown.to_html(index=False, escape=True, classes="frame", border=0, na_rep="")
            .replace("_", "_<wbr>") if len(frame) else "<p class='note'>(empty)</p>")
    return (f"<h3 id='frame-{html.escape(name)}'>{html.escape(name)}</h3>\n"
            f"<p class='note'>{note}; all of them in "
            f"<a href='{html.escape(name)}.csv'>{html.escape(name)}.csv</a></p>\n"
            f"<div class='scroll'>{body}</div>\n")


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = _CAPTIONS.get(name, name)
    return (f"<figure id='fig-{html.escape(name)}'><img alt='{html.escape(name)}' "
            f"src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)} "
            f"(<a href='{html.escape(name)}.png'>{html.escape(name)}.png</a>)"
            f"</figcaption></figure>")


def render(title: str, items: list[tuple[str, str]], images: dict[str, bytes],
           frames: dict[str, pd.DataFrame], description: str | None = None) -> str:
    """The HTML page: a header of ``items``, the capacity and history sections, the other
    PNG ``images`` embedded, then the other frames."""
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{html.escape(title)}: simkit report</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if description:
        parts.append(f"<p class='description'>{html.escape(description)}</p>")
    parts.append("<dl class='summary'>")
    for label, text in items:
        cls = ""
        if label == "outcome":
            cls = " class='ok'" if text.startswith("every") else " class='unmet'"
        parts.append(f"<dt>{html.escape(label)}</dt><dd{cls}>{html.escape(text)}</dd>")
    parts.append("</dl>")
    sections = [("Capacity", "capacity", _CAPACITY_FIGURES, _CAPACITY),
                ("History", "history", _HISTORY_FIGURES, _HISTORY)]
    placed = {n for _, _, figs, names in sections for n in (*figs, *names)}
    other_images = [n for n in images if n not in placed]
    other_frames = [n for n in frames if n not in placed]
    nav = []
    for label, anchor, figs, names in sections:
        if any(n in images for n in figs) or any(n in frames for n in names):
            nav.append(f"<a href='#{anchor}'>{label}</a>")
    for label, prefix, names in (("Figures", "fig", other_images),
                                 ("Frames", "frame", other_frames)):
        if names:
            links = " ".join(f"<a href='#{prefix}-{html.escape(n)}'>{html.escape(n)}</a>"
                             for n in names)
            nav.append(f"<div><b>{label}</b>{links}</div>")
    parts.append(f"<nav>{''.join(nav)}</nav>")
    for label, anchor, figs, names in sections:
        if not (any(n in images for n in figs) or any(n in frames for n in names)):
            continue
        parts.append(f"<h2 id='{anchor}'>{label}</h2>")
        if anchor == "capacity" and all(n in frames for n in _CAPACITY):
            found = _findings(frames)
            parts.append("<ul class='findings'>" + "".join(
                f"<li>{html.escape(line)}</li>" for line in found) + "</ul>" if found else
                "<p class='note'>No pool reached 50% and none refused a request.</p>")
        parts.extend(_figure(n, images[n]) for n in figs if n in images)
        parts.extend(_table(n, frames[n]) for n in names if n in frames)
    if other_images:
        parts.append("<h2>Figures</h2>")
    parts.extend(_figure(n, images[n]) for n in other_images)
    if other_frames:
        parts.append("<h2>Frames</h2>")
    parts.extend(_table(name, frames[name]) for name in other_frames)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(run: Any, directory: str | Path) -> list[Path]:
    """Write the report of ``run`` into ``directory``: CSV files, PNG files, ``index.html``.

    Returns the paths written, CSV files first, then PNG files, then the page.
    ``directory`` is created if needed; an existing file there, or a place
    that cannot be written, raises :class:`~simkit.values.errors.UsageError`.
    """
    from . import reports
    from .outputs import output_directory, write_csv

    directory = output_directory(directory)
    sim = run.simulation
    frames = {**reports.frames(sim), **extra_frames(run)}
    written = [write_csv(frame, directory / f"{name}.csv") for name, frame in frames.items()]
    images = {}
    for name, fig in figures(run, frames).items():
        images[name] = _png(fig)
        path = directory / f"{name}.png"
        path.write_bytes(images[name])
        written.append(path)
    shown = {name: frames[name] for name in (*_CAPACITY, *_HISTORY, *_PAGE_ORDER)
             if name in frames}
    shown.update(frames)
    page = render(run.scenario.name, summary(run), images, shown, run.scenario.description)
    path = directory / "index.html"
    path.write_text(page, encoding="utf-8")
    written.append(path)
    return written
