"""Dashboard charts drawn on the server as SVG with pygal, embedded inline in the page.

pygal links a script from a CDN by default; here it gets none (`js=[]`), the small inline
config script and the credit comments are dropped, and its inline CSS is served as a static
file instead (STYLESHEET), so the SVG loads nothing, runs nothing and passes the CSP. Every chart has a table with the same figures beside it.
"""

import html
import re

import pygal
from django.utils.safestring import mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#333",
    foreground_strong="#222",
    foreground_subtle="#999",
    colors=("#c0392b", "#2e86c1", "#27ae60", "#8e44ad"),
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    title_font_size=16,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# pygal's inline CSS (scoped to a random chart id) and the hidden tooltip's style attribute:
# the Content Security Policy refuses inline styles, so static/css/charts.css carries the CSS.
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_CHART_ID = re.compile(r"#chart-[0-9a-f-]{36}")
_TOOLTIP_STYLE = ' style="opacity: 0"'
STYLESHEET = "css/charts.css"


def _config(title: str, **extra) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "js": [],  # no remote script (pygal's default is a CDN tooltip script)
        "disable_xml_declaration": True,
        "show_legend": False,
        "width": 640,
        "height": 360,
        "print_values": False,
        "x_label_rotation": 20,
        **extra,
    }


def _svg(chart, title: str) -> str:
    svg = chart.render(is_unicode=True)
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    svg = _STYLE.sub("", svg).replace(_TOOLTIP_STYLE, "")
    # An image with a name for screen readers; the table beside it carries the figures.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(title)}" ', 1)
    return mark_safe(svg)  # noqa: S308 (pygal escapes labels; scripts stripped above)


def stylesheet() -> str:
    """pygal's CSS for STYLE, for every chart on a page: the content of static/css/charts.css
    (tests/db/test_csp.py checks that the file is up to date)."""
    svg = pygal.Bar(**_config("")).render(is_unicode=True)
    css = html.unescape(_STYLE.search(svg).group(1))
    header = "/* pygal's chart CSS, written by cms.charts.stylesheet(): change STYLE, rerun it. */"
    return f"{header}\n{_CHART_ID.sub('.pygal-chart', css).strip()}\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def bar(title: str, labels: list[str], values: list, *, series: str = "") -> str:
    chart = pygal.Bar(**_config(title))
    chart.x_labels = labels
    chart.add(series or title, [float(v) if v is not None else None for v in values])
    return _svg(chart, title)


def line(title: str, labels: list[str], values: list, *, series: str = "") -> str:
    chart = pygal.Line(**_config(title, fill=True, x_label_rotation=0))
    chart.x_labels = labels
    chart.add(series or title, [float(v) for v in values])
    return _svg(chart, title)
