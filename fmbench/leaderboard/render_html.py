"""``index.html``: one self-contained page (inline CSS and a small vanilla script, no CDN).

Every string from an eval file is escaped with ``html.escape``; the script never builds
markup from data (it only moves rows and toggles ``hidden``). A Content-Security-Policy
allows exactly the page's own script (by its SHA-256), so even markup that slipped through
could not run a script.

Example:
    >>> from fmbench.leaderboard.rank import Leaderboard
    >>> page = render_html(Leaderboard(boards=[], rejected=[], n_files=0))
    >>> page.startswith("<!DOCTYPE html>"), "https://" in page
    (True, False)
"""

from __future__ import annotations

import base64
import hashlib

from fmbench._version import __version__
from fmbench.leaderboard.export import eval_link
from fmbench.leaderboard.rank import RULES, Board, Entry, Leaderboard, Row
from fmbench.leaderboard.render_md import (
    column_titles,
    robustness_legend,
    robustness_text,
    runs_text,
    versus_text,
    worst_text,
)
from fmbench.reporting.escape import html_text as h
from fmbench.reporting.escape import num

__all__ = ["SCRIPT", "render_html"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1b1b1f}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #d0d0d8;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f5}th button{all:unset;cursor:pointer;font-weight:600}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.baseline{color:#6b4e00;background:#fff4cc;border-radius:3px;padding:0 .25rem;font-size:.75rem}
.signed{color:#1f5e2e;font-size:.75rem}
.flag{color:#8a1c1c;font-weight:600}.muted{color:#666}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v !== null && v !== "") { return {n: true, v: parseFloat(v)}; }
    return {n: false, v: cell.textContent.trim().toLowerCase()};
  }
  function sortTable(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.querySelectorAll("th");
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      var c;
      if (x.n && y.n) { c = x.v - y.v; }
      else if (x.n !== y.n) { c = x.n ? -1 : 1; }
      else { c = x.v < y.v ? -1 : (x.v > y.v ? 1 : 0); }
      if (!asc) { c = -c; }
      return c !== 0 ? c : parseInt(a.getAttribute("data-order"), 10) -
        parseInt(b.getAttribute("data-order"), 10);
    });
    for (var j = 0; j < rows.length; j++) { body.appendChild(rows[j]); }
  }
  function filter(value) {
    var groups = document.querySelectorAll("section.group");
    for (var i = 0; i < groups.length; i++) {
      groups[i].hidden = value !== "" && groups[i].getAttribute("data-group") !== value;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("th button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        sortTable(event.currentTarget.parentNode);
      });
    }
    var select = document.getElementById("modality-filter");
    select.addEventListener("change", function () { filter(select.value); });
    filter(select.value);
  });
})();
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _group_id(domain: str, modality: str) -> str:
    return f"{domain} / {modality}"


def _td(text: str, value: float | None = None, cls: str = "") -> str:
    data = f' data-v="{value!r}"' if value is not None else ' data-v=""'
    klass = f' class="{cls}"' if cls else ""
    return f"<td{klass}{data}>{text}</td>"


def _model(row: Row) -> str:
    e = row.entry
    out = h(e.model_id)
    if e.baseline:
        out += f' <span class="baseline" title="{h(e.baseline)}">baseline</span>'
    if e.source.signed_by:
        out += f' <span class="signed">signed by {h(e.source.signed_by)}</span>'
    return out


def _worst(e: Entry) -> str:
    return worst_text(e, h)


def _board(board: Board) -> list[str]:
    others = [n for n in board.metric_names if n != board.primary]
    better = "higher" if board.direction == "higher" else "lower"
    out = [
        f'<h3 id="{h(board.benchmark_id)}-{h(board.benchmark_version)}">'
        f"{h(board.benchmark_id)} v{h(board.benchmark_version)}</h3>",
        f"<p>{h(board.title)}. Ranked by <strong>{h(board.primary)}</strong> ({better} is "
        "better)"
        + (f"; input: {h(board.input_modality)}" if board.input_modality else "")
        + ".</p>",
    ]
    if not board.known:
        out.append(
            '<p class="flag">Benchmark not known to the installed plugins: its definition '
            "could not be checked.</p>"
        )
    heads = column_titles(board, h)
    sets = board.robustness_sets
    out.append(f'<table class="board" data-benchmark="{h(board.benchmark_id)}">')
    out.append(
        "<thead><tr>"
        + "".join(f'<th scope="col"><button type="button">{t}</button></th>' for t in heads)
        + "</tr></thead><tbody>"
    )
    for row in board.rows:
        e = row.entry
        lo, hi = row.rank_range
        ci = f" [{num(e.interval[0])}, {num(e.interval[1])}]" if e.interval else ""
        p_holm = row.versus_above.p_holm if row.versus_above is not None else None
        label = sets.get(e.robustness_set or "")
        # the column sorts only the scores of the most common probe set (A): scores over other
        # probes or levels are not comparable with them
        score = e.robustness.get("score") if label == "A" else None
        cells = [
            _td(str(row.rank), row.rank, "n"),
            _td(f"{lo}–{hi}" if lo != hi else str(lo), lo, "n"),
            _td(h(versus_text(row), 400), p_holm),
            _td(_model(row)),
            _td(f"<strong>{num(e.value)}</strong>{ci}", e.value, "n"),
            _td(h(runs_text(row)), row.n_runs, "n"),
        ]
        cells += [_td(num(e.metrics.get(n)), e.metrics.get(n), "n") for n in others]
        cells += [
            _td(_worst(e), e.worst_group["value"] if e.worst_group else None),
            _td(h(robustness_text(e, escape=False, label=label)), score),
            _td(num(e.ms_per_sample), e.ms_per_sample, "n"),
            _td(num(e.peak_memory_mb, 1), e.peak_memory_mb, "n"),
            _td(h(e.date or "–")),
            _td(h(e.fmbench_version or "–")),
            _td(f'<a href="{h(eval_link(e))}">{h(e.eval_id, 80)}</a>'),
        ]
        out.append(f'<tr data-order="{row.rank}">' + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if sets:
        items = "".join(
            f"<li><strong>{h(label)}</strong> = {h(value, 2000)}</li>"
            for label, value in robustness_legend(board)
        )
        out.append(
            "<p>Robustness probe sets (a score is comparable only with scores of the same "
            f"set; the column sorts set A):</p><ul>{items}</ul>"
        )
    if board.unranked:
        out.append("<p>Not ranked:</p><ul>")
        for e in board.unranked:
            out.append(
                f'<li>{h(e.model_id)} (<a href="{h(eval_link(e))}">{h(e.eval_id, 80)}</a>): '
                f"{h(e.unranked or '')}</li>"
            )
        out.append("</ul>")
    return out


def render_html(board: Leaderboard) -> str:
    """The whole page; byte-identical for the same inputs."""
    groups = board.groups
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>fmbench leaderboard</title>",
        f"<style>{CSS}</style>",
        f"<script>{SCRIPT}</script>",
        "</head><body>",
        "<h1>fmbench leaderboard</h1>",
        f'<p class="muted">Generated by fmbench {h(__version__)} build-leaderboard from '
        f"{board.n_files} file(s); {len(board.rejected)} not used (listed at the end).</p>",
        "<details><summary>How rows are ranked</summary><ul>",
        *[f"<li>{h(rule, 1000)}</li>" for rule in RULES],
        "</ul></details>",
        '<p><label for="modality-filter">Modality: </label>'
        '<select id="modality-filter"><option value="">all</option>',
        *[f'<option value="{h(_group_id(d, m))}">{h(_group_id(d, m))}</option>' for d, m in groups],
        '</select> <span class="muted">Click a column heading to sort.</span></p>',
    ]
    for domain, modality in groups:
        out.append(f'<section class="group" data-group="{h(_group_id(domain, modality))}">')
        out.append(f"<h2>{h(domain)} · {h(modality)}</h2>")
        for b in board.boards:
            if (b.domain, b.modality) == (domain, modality):
                out += _board(b)
        out.append("</section>")
    if not board.boards:
        out.append("<p>No eval files were accepted yet.</p>")
    out.append('<h2 id="rejected">Files not used</h2><ul class="rejected">')
    for item in board.rejected:
        reasons = "".join(f"<li>{h(r, 500)}</li>" for r in item.reasons[:20])
        out.append(f"<li>{h(item.display)} ({h(item.kind)})<ul>{reasons}</ul></li>")
    if not board.rejected:
        out.append("<li>None.</li>")
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"
