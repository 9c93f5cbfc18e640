"""Pickgun's server, in wings (docs/architecture.md): core/ under
everything, the domain wings (orders, clients, documents, fleet, staff),
gunlink/ between the database and the guns, and the web pages on top.

`create_app` (server.app) is looked up only when asked for, so that
`flask --app server` finds it while importing any other server module (the
worker's processes, the tools) does not load every page."""


def __getattr__(name):
    if name == "create_app":
        from server.app import create_app   # the documented lazy import
        return create_app
    raise AttributeError("module 'server' has no attribute %r" % name)
