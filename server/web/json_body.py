"""JSON in and out.  In: a document nested deeper than the parser can
follow is invalid JSON like any other, so `request.get_json()` refuses
it (400) instead of failing with a server error.  Out: a set (a choice
of codes, say) is written as a sorted list."""
from flask.json.provider import DefaultJSONProvider


def _default(o):
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return DefaultJSONProvider.default(o)


class JSONProvider(DefaultJSONProvider):
    default = staticmethod(_default)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app):
    app.json = JSONProvider(app)
