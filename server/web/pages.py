"""One function builds each page's whole context; it serves the page
and the page's `.json` twin (Datasette's way).

A page's build function takes the URL's arguments, checks the role
(server.web.auth.require) and returns a View:
- `data`: everything the page shows, as plain values.  The twin serves
  it as JSON, so a script reads exactly what a CSR sees.
- `display`: what only the HTML needs to lay the data out (link
  builders, QR images, choice tables, field limits).
- `status`: the HTTP status (a form refused and shown again is 400).
Templates only display `data` and `display`; no template global reads
the database.

The twin's URL is the page's with ".json" on its last part:
/orders/ -> /orders.json, /orders/1001 -> /orders/1001.json.  It takes
the same query string, needs the same role, and answers errors in JSON
(server.web.auth)."""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import jsonify, render_template
from flask.typing import ResponseReturnValue

JSON_SUFFIX = ".json"


@dataclass
class View:
    data: dict
    display: dict = field(default_factory=dict)
    status: int = 200


def json_rule(prefix, rule):
    """The twin's URL rule of a page at `prefix` + `rule`."""
    path = (prefix or "").rstrip("/") + "/" + rule.lstrip("/")
    return path.rstrip("/") + JSON_SUFFIX


Build = Callable[..., "View"]
HtmlView = Callable[..., ResponseReturnValue]


def page(bp, rule, template) -> Callable[[Build], HtmlView]:
    """Register the decorated build function as a GET page of `bp` at
    `rule` rendered with `template`, and as its `.json` twin.  Returns the
    HTML view, which other views call with the build's own keyword
    arguments to show the page again (a refused form, say)."""
    def register(build: Build) -> HtmlView:
        name = build.__name__

        def html(**kwargs) -> ResponseReturnValue:
            view = build(**kwargs)
            return render_template(template, **view.data,
                                   **view.display), view.status

        def twin(**kwargs):
            view = build(**kwargs)
            return jsonify(view.data), view.status

        html.__name__ = name
        html.__doc__ = build.__doc__
        twin.__name__ = name + "_json"
        bp.add_url_rule(rule, name, html, methods=["GET"])
        bp.record(lambda state: state.app.add_url_rule(
            json_rule(state.url_prefix, rule), "%s.%s_json" % (bp.name, name),
            twin, methods=["GET"]))
        return html
    return register


def is_twin(path):
    return path.endswith(JSON_SUFFIX)
