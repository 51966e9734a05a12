"""plotly.js's base stylesheet, read from the bundle in the plotly wheel.

plotly.js injects its base CSS rules with a ``<style>`` element, which our Content-Security-Policy
(``style-src 'self'``) refuses. It skips the injection when the page already has an element with id
``plotly.js-style-global`` and class ``no-inline-styles``: the dashboard links this stylesheet under
that id. The rules come from the same bundle the page loads, so they never drift from its version.
"""

import re
from functools import lru_cache
from pathlib import Path

import plotly

BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_RULE = re.compile(r'"((?:[^"\\]|\\.)*)":(\'(?:[^\'\\]|\\.)*\'|"(?:[^"\\]|\\.)*")')


@lru_cache(maxsize=1)
def stylesheet() -> str:
    source = BUNDLE.read_text(encoding="utf-8")
    start = source.find('{"X,X div":')
    if start < 0:
        return "/* plotly.js base rules not found in this bundle */\n"
    block = source[start : source.find(";for(", start)]
    lines = []
    for key, value in _RULE.findall(block):
        selector = key.replace(",", " ,", 1) if key.startswith(",") else key
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        lines.append(f"{selector}{{{value[1:-1]}}}")
    return "\n".join(lines) + "\n"
