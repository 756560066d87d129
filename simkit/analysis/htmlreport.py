"""The report of a run as files: every frame as CSV, every figure as PNG, one HTML page.

:func:`write` is what ``simkit report FILE --out DIR`` does.  The page,
``index.html``, is self-contained (styles inline, figures embedded as
``data:`` URIs), so it can be mailed or attached as it is; it shows the
run's outcome, the figures, and the first rows of every frame, each with a
link to its CSV file.  Figures are drawn on figures of their own (no pyplot
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["MAX_MAPS", "MAX_ROWS", "figures", "render", "summary", "write"]

#: Rows of each frame shown on the page (the CSV files hold them all).
MAX_ROWS = 60
#: Pools drawn in the address-map figure (those with provisioned CIDRs, in creation order).
MAX_MAPS = 24

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
       margin-top: 2em; }
p.description { color: #555; margin-top: 0; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.summary dt { font-weight: 600; } dl.summary dd { margin: 0; }
.ok { color: #2a7f3a; font-weight: 600; } .unmet { color: #b22; font-weight: 600; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table.frame { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; }
table.frame th, table.frame td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
table.frame th { background: #f3f3f3; }
table.frame tr:nth-child(even) td { background: #fafafa; }
.note { color: #666; font-size: 0.85em; }
nav { line-height: 1.6; } nav a { margin-right: 0.8em; } nav b { margin-right: 0.6em; }
div.scroll { overflow-x: auto; }
"""

#: The frames on the page, most read first (the event log, longest, last).
_PAGE_ORDER = ("utilisation", "conflicts", "scope_utilisation", "account_utilisation",
               "folder_utilisation", "allocations", "resource_cidrs", "pool_views",
               "utilisation_series", "permissions", "events")

_CAPTIONS = {
    "utilisation": "Allocated over provisioned IPs of each pool, by allocation type; the "
                   "dashed line is 100%.",
    "address_maps": "The address space of each pool: provisioned CIDRs side by side, "
                    "allocations coloured by the account holding them, free space hatched.",
    "utilisation_over_time": "Each pool's utilisation over the run.",
    "organisation": "Folders, accounts and pools; arrows go from each shared pool to the "
                    "principals of its active shares.",
    "permissions": "What each account may do with each pool it sees, action by action.",
}


def figures(data: Any) -> dict[str, Figure]:
    """The report's figures of a run or simulation, each on its own Figure."""
    from matplotlib.figure import Figure

    from . import plots, reports

    sim = getattr(data, "simulation", data)
    util = reports.utilisation(sim)
    out: dict[str, Figure] = {}
    fig = Figure(figsize=(9, 0.45 * max(len(util), 1) + 1.6), layout="constrained")
    plots.utilisation_bars(util, ax=fig.add_subplot())
    out["utilisation"] = fig
    pools = [p.id for p in sim.model.pools.values() if p.space.provisioned()][:MAX_MAPS]
    fig = Figure(figsize=(11, 1.7 * max(len(pools), 1) + 0.3), layout="constrained")
    if pools:
        for i, pool in enumerate(pools, 1):
            plots.address_map(sim, pool, ax=fig.add_subplot(len(pools), 1, i))
    else:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no pool has provisioned CIDRs", ha="center", va="center")
        ax.set_axis_off()
    out["address_maps"] = fig
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    plots.utilisation_over_time(reports.utilisation_series(sim), ax=fig.add_subplot())
    out["utilisation_over_time"] = fig
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    plots.org_graph(sim, ax=fig.add_subplot(), seed=sim.seed)
    out["organisation"] = fig
    audit = reports.permission_audit(sim)
    shown = audit.groupby(["account", "pool"])["access"].agg(
        lambda s: (s != "not_visible").any()).sum() if len(audit) else 0
    fig = Figure(figsize=(10, 0.3 * max(int(shown), 1) + 3), layout="constrained")
    plots.permission_heatmap(audit, ax=fig.add_subplot())
    out["permissions"] = fig
    return out


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


def _table(name: str, frame: pd.DataFrame) -> str:
    shown = frame.head(MAX_ROWS).astype(object)
    shown = shown.where(shown.notna(), "")
    note = (f"{len(frame)} rows" if len(frame) <= MAX_ROWS
            else f"first {MAX_ROWS} of {len(frame)} rows")
    body = (shown.to_html(index=False, escape=True, classes="frame", border=0, na_rep="")
            if len(frame) else "<p class='note'>(empty)</p>")
    return (f"<h3 id='frame-{html.escape(name)}'>{html.escape(name)}</h3>\n"
            f"<p class='note'>{note}; all of them in "
            f"<a href='{html.escape(name)}.csv'>{html.escape(name)}.csv</a></p>\n"
            f"<div class='scroll'>{body}</div>\n")


def render(title: str, items: list[tuple[str, str]], images: dict[str, bytes],
           frames: dict[str, pd.DataFrame], description: str | None = None) -> str:
    """The HTML page: a header of ``items``, the PNG ``images`` embedded, then the frames."""
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
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
    nav = []
    for label, prefix, names in (("Figures", "fig", images), ("Frames", "frame", frames)):
        if names:
            links = " ".join(f"<a href='#{prefix}-{html.escape(n)}'>{html.escape(n)}</a>"
                             for n in names)
            nav.append(f"<div><b>{label}</b>{links}</div>")
    parts.append(f"<nav>{''.join(nav)}</nav>")
    if images:
        parts.append("<h2>Figures</h2>")
    for name, png in images.items():
        data = base64.b64encode(png).decode("ascii")
        caption = _CAPTIONS.get(name, name)
        parts.append(f"<figure id='fig-{html.escape(name)}'><img alt='{html.escape(name)}' "
                     f"src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)} "
                     f"(<a href='{html.escape(name)}.png'>{html.escape(name)}.png</a>)"
                     f"</figcaption></figure>")
    if frames:
        parts.append("<h2>Frames</h2>")
    parts.extend(_table(name, frame) for name, frame in frames.items())
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(run: Any, directory: str | Path) -> list[Path]:
    """Write the report of ``run`` into ``directory``: CSV files, PNG files, ``index.html``.

    Returns the paths written, CSV files first, then PNG files, then the page.
    """
    from . import reports

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sim = run.simulation
    frames = reports.frames(sim)
    written = []
    for name, frame in frames.items():
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    images = {}
    for name, fig in figures(sim).items():
        images[name] = _png(fig)
        path = directory / f"{name}.png"
        path.write_bytes(images[name])
        written.append(path)
    shown = {name: frames[name] for name in _PAGE_ORDER if name in frames}
    shown.update(frames)
    page = render(run.scenario.name, summary(run), images, shown, run.scenario.description)
    path = directory / "index.html"
    path.write_text(page, encoding="utf-8")
    written.append(path)
    return written
