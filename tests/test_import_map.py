"""The map in docs/architecture.md stays true: every server module belongs
to a wing, imports go web -> domain -> core and gunlink -> domain -> core,
nothing imports web, no module imports itself back through others, and
imports sit at the top of their module except the documented lazy ones.

Imports are read with `ast`, so the check sees every import, including
those behind an `if` or inside a function, without running the code."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"

DOMAIN = ("orders", "clients", "documents", "staff", "fleet")
# What each wing may import besides itself ("root" is server/__init__.py,
# server/app.py, server/seed.py and server/demo_data.py: where the app and
# the demo data are put together).
MAY_IMPORT = {
    "core": set(),
    **{wing: {"core", *DOMAIN} for wing in DOMAIN},
    "gunlink": {"core", *DOMAIN},
    "web": {"core", "gunlink", *DOMAIN},
    "root": {"core", "gunlink", "web", *DOMAIN},
}
ROOT_MODULES = {"server", "server.app", "server.seed",
                "server.demo_data"}

# Modules still in the flat server/ folder, and the wing each moves to
# (none left: add one here only on the way into its wing).
NOT_MOVED = {}

# Function-local imports allowed, each with its reason in place:
# (module, imported module).
LAZY = {
    # `flask --app server` finds create_app; importing any other server
    # module does not load every page.
    ("server", "server.app"),
}


def _modules():
    found = {}
    for path in sorted(SERVER.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name):
    """The server module `name` (a module or a name in one) comes from."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _imports(module):
    """[(imported module, line, at the top)] of one server module."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.level == 0:
            names = [node.module + "." + alias.name for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("server") else None
            if target and target != module:
                found.append((target, node.lineno, id(node) in top))
    return found


def wing(module):
    """The wing a server module belongs to."""
    if module in ROOT_MODULES:
        return "root"
    for flat, target in NOT_MOVED.items():
        if module == flat or module.startswith(flat + "."):
            return target
    parts = module.split(".")
    assert len(parts) > 1 and parts[1] in MAY_IMPORT, (
        "%s belongs to no wing: move it into one (docs/architecture.md)"
        % module)
    return parts[1]


def _graph():
    return {module: {target for target, _, _ in _imports(module)}
            for module in MODULES}


def _cycles(graph):
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_module_has_a_wing():
    for module in MODULES:
        wing(module)
    for flat in NOT_MOVED:
        assert flat in MODULES, "%s moved: take it off NOT_MOVED" % flat


def test_imports_follow_the_wings():
    wrong = []
    for module in MODULES:
        own = wing(module)
        for target, line, _ in _imports(module):
            other = wing(target)
            if other != own and other not in MAY_IMPORT[own]:
                wrong.append("%s:%d (%s) imports %s (%s)" % (
                    MODULES[module].relative_to(ROOT), line, own, target,
                    other))
    assert not wrong, "imports against docs/architecture.md:\n" + \
        "\n".join(wrong)


def test_no_import_cycles():
    cycles = [sorted(c) for c in _cycles(_graph())]
    assert not cycles, "import cycles: %s" % cycles


def test_imports_are_at_the_top_but_the_documented_lazy_ones():
    local = sorted(
        "%s:%d imports %s" % (MODULES[module].relative_to(ROOT), line,
                              target)
        for module in MODULES
        for target, line, at_top in _imports(module)
        if not at_top and (module, target) not in LAZY)
    assert not local, "function-local imports:\n" + "\n".join(local)


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == \
        [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_folder_is_a_package():
    # setuptools installs only folders with an __init__.py.
    for folder in SERVER.rglob("*"):
        if folder.is_dir() and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), folder


# What one reads in one sitting; a longer module says why in its
# docstring ("Over 350 lines: <reason>").
LONG = 350


def test_modules_fit_one_sitting_or_say_why():
    long = []
    for path in MODULES.values():
        text = path.read_text()
        if len(text.splitlines()) <= LONG:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "Over %d lines:" % LONG not in " ".join(doc.split()):
            long.append("%s (%d lines)" % (path.relative_to(ROOT),
                                           len(text.splitlines())))
    assert not long, "too long to read in one sitting, with no reason " \
        "in the docstring: " + ", ".join(long)
