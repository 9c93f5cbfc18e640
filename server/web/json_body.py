"""JSON request bodies: a document nested deeper than the parser can
follow is invalid JSON like any other, so `request.get_json()` refuses
it (400) instead of failing with a server error."""
from flask.json.provider import DefaultJSONProvider


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app):
    app.json = JSONProvider(app)
