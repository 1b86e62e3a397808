"""Self-contained HTML pages for staff (the class report, the similarity view).

One file that opens anywhere, offline, and can do nothing but show text: no script, no
external URL (plots are inline data: URIs), and a Content-Security-Policy that forbids both
even if something slipped through. Every string goes through `esc` unless it is `Html` that
this module or its callers built from escaped parts. Standard library only.
"""

from __future__ import annotations

import base64
import html

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ddd;padding:3px 8px;
vertical-align:top;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}.staff{background:#fff3cd;border:1px solid #e0c060;padding:.6em 1em}
.note{color:#555}code,pre{font:12px/1.35 ui-monospace,monospace}pre{white-space:pre-wrap;margin:0}
mark{background:#ffd54f}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.pair pre{border:1px solid #ddd;padding:.5em;overflow:auto;max-height:40em}img{max-width:100%}
"""


class Html(str):
    """Markup that is already safe (built from escaped parts): `esc` leaves it as it is."""


def esc(value) -> Html:
    """`value` as HTML text: every <, >, &, ' and " escaped."""
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def tag(name: str, content="", **attributes) -> Html:
    attrs = "".join(f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"' for key, value in attributes.items())
    return Html(f"<{name}{attrs}>{esc(content)}</{name}>")


def join(*parts) -> Html:
    return Html("".join(esc(part) for part in parts))


def table(headers, rows, *, numeric=()) -> Html:
    """A table; the columns whose index is in `numeric` are right-aligned."""
    head = "".join(tag("th", h) for h in headers)
    body = "".join("<tr>" + "".join(tag("td", cell, **({"class_": "n"} if i in numeric else {}))
                                    for i, cell in enumerate(row)) + "</tr>\n" for row in rows)
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n")


def png(data: bytes, alt: str) -> Html:
    """An inline image: a data: URI, so the page needs no other file."""
    return Html(f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">')


def page(title: str, *body) -> str:
    """A whole document: `body` parts are escaped unless they are `Html`."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body>\n{join(*body)}\n</body></html>\n")
