"""The case file as a page an auditor can read and print (one self-contained HTML file: no script,
no external stylesheet, font or image), and as a terminal timeline."""
from __future__ import annotations

import json
from html import escape

from services.audit.casefile import yuan

STYLE = """
:root { --ink:#1d232b; --muted:#5b6673; --line:#d5dbe1; --band:#f3f5f7; --accent:#0b5cad; --money:#0a6b3d; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui,
       sans-serif; color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid var(--ink);
  padding-bottom: 3px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 10px; }
.fact { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--band); }
.fact b { display: block; font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase;
  letter-spacing: .03em; }
.fact span { font-size: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 6px; text-align: left; vertical-align: top; }
th { background: var(--band); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.amount { color: var(--money); font-weight: 600; }
tr.date-start td { border-top: 2px solid var(--ink); }
.date { white-space: nowrap; font-weight: 600; }
.role { color: var(--muted); font-size: 12px; display: block; }
.system { color: var(--muted); font-style: italic; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.event { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 6px 10px; break-inside: avoid; }
.event:target { outline: 3px solid var(--accent); }
.event h3 { font-size: 13px; margin: 0 0 4px; }
.event pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0 0; font-size: 11px; background: var(--band);
  padding: 6px; border-radius: 4px; max-height: 360px; overflow: auto; }
.cited { color: var(--muted); font-size: 12px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; } tr, .fact { break-inside: avoid; }
  a { color: inherit; } a[href^="#"]::after { content: ""; }
  .event pre { max-height: none; overflow: visible; }
  @page { size: A4; margin: 14mm 12mm; @bottom-right { content: counter(page) " / " counter(pages); } }
}
"""


def html_page(case_file: dict) -> str:
    cf, e = case_file, escape
    facts = cf["key_facts"]
    title = f"Case file {cf['case_id']}"
    scope = " · ".join(x for x in (f"as of {cf['as_of']}" if cf["as_of"] else "",
                                   f"as known at {cf['known_at']}" if cf["known_at"] else "") if x) or "complete record"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">Programme {e(str(cf["programme"] or "?"))} · {e(scope)} · exported {e(cf["generated_at"])} '
        f'by {e(cf["generated_by"].get("actor_id", ""))} ({e(cf["generated_by"].get("role", ""))}) · '
        f'{len(cf["events"])} events, {len(cf["timeline"])} case-stream entries</p>',
        '<section class="facts">',
        _fact("Decided by", facts["decided_by"], facts["decision_event"], ident=True),
        _fact("Decision", facts["decision"], facts["decision_event"]),
        _fact("Award", f"¥ {yuan(facts['award_fen'])}" if facts["award_fen"] is not None else None,
              facts["decision_event"], css="amount"),
        _fact("Rule · edition", " · ".join(x for x in (facts["decision_rule"], facts["decision_edition"]) if x) or None),
        _fact("Audited by", ", ".join(facts["audited_by"]) or None, ident=True),
        "</section>",
        "<h2>Timeline by business date</h2>", _timeline(cf["timeline"]),
        "<h2>Money per obligation</h2>", _totals(cf["totals"]),
        "<h2>Events, as each service recorded and signed them</h2>",
        '<p class="meta">Each envelope is the stored event verbatim (store position, signature). '
        "An entry's cause links here.</p>",
        *[_event(r) for r in cf["events"]],
        f'<footer>{e(cf["format"])} v{cf["format_version"]} · amounts in yuan (recorded in integer fen) · '
        "times are business times unless marked recorded</footer>",
        "</body>", "</html>", ""])


def _fact(label, value, link=None, *, ident=False, css="") -> str:
    if value in (None, ""):
        shown = '<span class="system">—</span>'
    else:
        text = f'<span class="{"mono" if ident else css}">{escape(str(value))}</span>'
        shown = f'<a href="#{escape(link)}">{text}</a>' if link else text
    return f'<div class="fact"><b>{escape(label)}</b>{shown}</div>'


def _actor(entry: dict) -> str:
    actor, role = entry.get("actor_id") or "", entry.get("role") or ""
    css = ' class="system"' if role == "system" else ""
    return f'<span{css}><span class="mono">{escape(actor)}</span><span class="role">{escape(role)}</span></span>'


def _timeline(entries: list[dict]) -> str:
    rows, last_date = [], None
    for t in entries:
        starts = t["business_date"] != last_date
        last_date = t["business_date"]
        cause = t["cause"]
        if cause:
            label = f"{cause['service']} @{cause['position']}"
            cause_cell = (f'<a href="#{escape(cause["anchor"])}">{escape(label)}</a>' if cause["in_file"]
                          else escape(label) + ' <span class="system">(not in file)</span>')
            cause_cell += f'<span class="role">{escape(str(cause["type"] or "").rsplit(".", 1)[-1])}</span>'
        else:
            cause_cell = '<span class="system">own act</span>'
        amount = yuan(t["amount_fen"]) if t["amount_fen"] is not None else ""
        reason = t["reason"] or ""
        if t.get("office_reference"):
            reason = (reason + " · " if reason else "") + f"office ref {t['office_reference']}"
        changes = "".join(f' <a href="#entry-{n}">changes #{n}</a>' for n in t.get("supersedes") or [])
        rows.append(
            f'<tr id="entry-{t["sequence"]}"{" class=date-start" if starts else ""}>'
            f'<td class="date">{escape(t["business_date"] or "") if starts else ""}</td>'
            f'<td class="num">{t["sequence"]}</td>'
            f'<td>{escape(t["summary"] or "")}{changes}<span class="role">{escape(t["type"] or "")}</span></td>'
            f"<td>{_actor(t)}</td><td>{escape(reason)}</td>"
            f'<td class="mono">{escape(t["rule"] or "")}</td><td class="mono">{escape(t["edition"] or "")}</td>'
            f'<td class="num amount">{escape(amount)}</td><td>{cause_cell}</td></tr>')
    head = ('<tr><th>Business date</th><th class="num">#</th><th>Entry</th><th>Actor · role</th><th>Reason</th>'
            '<th>Rule</th><th>Edition</th><th class="num">Amount (¥)</th><th>Cause</th></tr>')
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _totals(rows: list[dict]) -> str:
    if not rows:
        return '<p class="system">No money scheduled.</p>'
    columns = (("scheduled_fen", "Scheduled"), ("paid_fen", "Paid"), ("returned_fen", "Returned"),
               ("cancelled_fen", "Cancelled"), ("unpaid_fen", "Unpaid"), ("recovery_claimed_fen", "Recovery claimed"))
    head = "<tr><th>Obligation</th><th>Payee</th><th class=num>Periods</th>" + "".join(
        f'<th class="num">{label} (¥)</th>' for _, label in columns) + "</tr>"
    body = "".join(
        f'<tr><td class="mono">{escape(r["obligation_id"])}</td><td>{escape(", ".join(r["payees"]))}</td>'
        f'<td class="num">{r["periods"]}</td>'
        + "".join(f'<td class="num amount">{yuan(r[key])}</td>' for key, _ in columns) + "</tr>" for r in rows)
    total = "<tr><th colspan=3>All obligations</th>" + "".join(
        f'<th class="num">{yuan(sum(r[key] for r in rows))}</th>' for key, _ in columns) + "</tr>"
    return f"<table><thead>{head}</thead><tbody>{body}</tbody><tfoot>{total}</tfoot></table>"


def _event(record: dict) -> str:
    envelope = record["envelope"]
    actor = envelope.get("actor") or {}
    cited = ", ".join(f'<a href="#entry-{n}">#{n}</a>' for n in record["cited_by"])
    return (f'<section class="event" id="{escape(record["anchor"])}">'
            f'<h3>{escape(record["service"] or "")} @{record["position"]} · {escape(record["type"] or "")} '
            f'<span class="cited">seq {record["sequence"]} · {escape(envelope.get("occurred_at") or "")} · '
            f'<span class="mono">{escape(str(actor.get("actor_id", "")))}</span> ({escape(str(actor.get("role", "")))})'
            f'{" · cause of " + cited if cited else ""}</span></h3>'
            f"<pre>{escape(json.dumps(envelope, ensure_ascii=False, indent=1, sort_keys=True))}</pre></section>")


# -- the terminal ---------------------------------------------------------------------------------
def text_timeline(case_file: dict, width: int = 160) -> str:
    cf = case_file
    facts = cf["key_facts"]
    lines = [f"case {cf['case_id']} (programme {cf['programme'] or '?'})"
             + (f", as of {cf['as_of']}" if cf["as_of"] else "") + (f", as known at {cf['known_at']}" if cf["known_at"] else ""),
             f"decided by {facts['decided_by'] or '-'}: {facts['decision'] or '-'}"
             + (f", award {yuan(facts['award_fen'])} yuan" if facts["award_fen"] is not None else "")
             + (f" ({facts['decision_rule']}, {facts['decision_edition']})" if facts["decision_rule"] else "")
             + f"; audited by {', '.join(facts['audited_by']) or '-'}", ""]
    header = f"{'date':<10} {'#':>3}  {'entry':<28} {'actor (role)':<34} {'amount ¥':>15}  {'rule':<26} cause / reason"
    lines += [header, "-" * min(width, len(header) + 30)]
    for t in cf["timeline"]:
        actor = f"{t['actor_id'] or ''} ({t['role'] or ''})"
        amount = yuan(t["amount_fen"]) if t["amount_fen"] is not None else ""
        cause = f"{t['cause']['service']}@{t['cause']['position']}" if t["cause"] else "own act"
        tail = " · ".join(x for x in (cause, t["edition"] or "", t["reason"] or "",
                                      f"office ref {t['office_reference']}" if t.get("office_reference") else "") if x)
        line = (f"{t['business_date'] or '':<10} {t['sequence']:>3}  {_cut(t['summary'] or '', 28):<28} "
                f"{_cut(actor, 34):<34} {amount:>15}  {_cut(t['rule'] or '', 26):<26} {tail}")
        lines.append(_cut(line.replace("\n", " "), width))
    if cf["totals"]:
        lines += ["", f"{'obligation':<24} {'periods':>7} {'scheduled ¥':>16} {'paid ¥':>16} {'unpaid ¥':>16} "
                      f"{'recovery ¥':>14}"]
        for r in cf["totals"]:
            lines.append(f"{r['obligation_id']:<24} {r['periods']:>7} {yuan(r['scheduled_fen']):>16} "
                         f"{yuan(r['paid_fen']):>16} {yuan(r['unpaid_fen']):>16} {yuan(r['recovery_claimed_fen']):>14}")
    return "\n".join(lines) + "\n"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
