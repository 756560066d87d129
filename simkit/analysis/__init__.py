"""Layer 5, analysis: whole runs, reports, plots, the HTML report and what-if studies.

Modules are imported when used (``simkit.analysis.plots`` imports matplotlib).
"""
