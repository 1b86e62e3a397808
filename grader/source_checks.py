"""Static checks of a submission's own source, made in the judge: what the worker can't forge.

Probes run beside the student's code, in the same interpreter, so whatever they observe can be
forged. These checks read the submitted files from disk in the judge and parse them with `ast`;
nothing is run. Three checks share one walker (`_Walker`) and one way of following a name to
where it is defined (`Program`):

- `tamper_findings`: code anywhere in the submission that reaches the grader or the
  interpreter's machinery. It flags the submission for a TA's review and costs no points.
- `forbidden_calls` (ex4): what `log_softmax` reaches (its body, defaults and decorators, the
  submission's functions and module-level names it uses, helper modules) calls no built-in
  softmax; the import-time code of the modules involved may not reach one either.
- `forward_calls` (ex1): what `trace_shapes` reaches runs no layer: it calls no value that came
  from a parameter (a layer), no `.forward`/`__call__`, and makes no meta tensor.

Code whose effect can't be read (a computed `getattr`, `eval`, a name defined nowhere) counts as
a violation in the last two: the contract forbids it, and a check that gave it the benefit of the
doubt would be a check anyone could walk around. Standard library only.
"""

from __future__ import annotations

import ast
import builtins
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_SHOWN = 20  # findings kept per check: enough for a TA, bounded for a hostile file


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the submission's root, e.g. "ex3/cutout.py"
    line: int
    what: str  # the construct, e.g. "sys.modules"
    why: str  # why it matters, e.g. "reaches the interpreter's modules"
    code: str = ""  # the source line, stripped

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what} ({self.why})"

    def quoted(self) -> str:
        """One line for a student-facing message: where, the code itself, and why."""
        return f"{self.file}:{self.line}: `{self.code}` ({self.what}: {self.why})"


def read_sources(root, folder: str = "") -> dict[str, str]:
    """Every .py file under `root`/`folder` (symlinks never followed), by POSIX path relative
    to `root`. Read in the judge, from the judge's own copy of the submission."""
    root = Path(root)
    base = root / folder if folder else root
    sources: dict[str, str] = {}
    if not base.is_dir() or base.is_symlink():
        return sources
    for directory, subdirs, files in os.walk(base):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__" and not os.path.islink(os.path.join(directory, d)))
        for name in sorted(files):
            path = Path(directory) / name
            if name.endswith(".py") and not path.is_symlink() and path.is_file():
                sources[path.relative_to(root).as_posix()] = path.read_bytes().decode("utf-8", "replace")
    return sources


def without_handouts(sources: dict[str, str], handouts) -> dict[str, str]:
    """`sources` less the files that are copies of a handed-out .py file under `handouts` (the
    public tests and their conftest.py): they are the course's code, not the student's."""
    shipped = {_normalised(text) for text in read_sources(handouts).values()}
    return {rel: text for rel, text in sources.items() if _normalised(text) not in shipped}


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


# ---------------------------------------------------------------------------------- the rules
# An origin is a dotted name outside the submission ("torch.nn.functional.log_softmax");
# a rule matches it or the module above it.

MACHINERY = {
    "sys.modules": "reaches the interpreter's modules",
    "sys._getframe": "reads the call stack's frames",
    "sys._current_frames": "reads the call stack's frames",
    "sys.settrace": "traces the interpreter",
    "sys.setprofile": "traces the interpreter",
    "inspect.currentframe": "reads the call stack's frames",
    "inspect.stack": "reads the call stack's frames",
    "inspect.trace": "reads the call stack's frames",
    "inspect.getouterframes": "reads the call stack's frames",
    "inspect.getinnerframes": "reads the call stack's frames",
    "gc": "the garbage collector reaches every object",
    "ctypes": "reads and writes raw memory",
    "socket": "opens sockets",
    **{f"os.{name}": "uses raw file descriptors"
       for name in ("open", "read", "write", "dup", "dup2", "fdopen", "pipe")},
    "importlib": "imports modules by computed name",
    "builtins": "reaches the interpreter's built-ins",
    **{name: "reaches the grader's own modules" for name in ("grader", "sandboxed", "course", "boot")},
}
MACHINERY_BUILTINS = {
    "eval": "runs code from a string",
    "exec": "runs code from a string",
    "compile": "runs code from a string",
    "__import__": "imports modules by computed name",
    "globals": "reads and writes module names by computed name",
    "vars": "reads and writes attributes by computed name",
    "__builtins__": "reaches the interpreter's built-ins",
}
MACHINERY_ATTRIBUTES = {
    **{name: "reads and writes attributes by computed name" for name in ("__dict__", "__getattribute__")},
    **{name: "reaches a function's internals" for name in ("__globals__", "__code__", "__closure__", "__builtins__")},
    "__subclasses__": "reaches every class in the interpreter",
    **{name: "reads the call stack's frames"
       for name in ("f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame")},
}
DYNAMIC_ATTRIBUTE_FUNCTIONS = ("getattr", "setattr", "delattr")
GRADER_PREFIX = "_cnn_grader"  # the modules the worker loads submissions as

SOFTMAX_WORDS = ("softmax", "logsumexp")  # in any name: log_softmax, _softmax, LogSoftmax, ...
FORBIDDEN_EXACT = {"cross_entropy", "nll_loss"}
FORBIDDEN_ATTRIBUTES = {"special", "_C", "_VF", "_VariableFunctions", "aten"}  # on any object

FORWARD_ATTRIBUTES = {"forward", "__call__", "_call_impl", "_wrapped_call_impl", "_slow_forward", "_conv_forward"}
CALLERS = {"builtins.map", "builtins.filter", "functools.reduce", "functools.partial", "operator.call",
           "itertools.starmap"}  # call their first argument
TRACERS = ("torch.fx", "torch.jit", "torch.compile", "torch.export", "torch.func")


def _prefixes(dotted: str):
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _machinery_origin(dotted: str):
    if dotted.split(".")[0].startswith(GRADER_PREFIX):
        return dotted, "reaches the grader's own modules"
    for prefix in _prefixes(dotted):
        if prefix in MACHINERY:
            return prefix, MACHINERY[prefix]
    return None


def _softmax_name(name: str) -> bool:
    return any(word in name.lower() for word in SOFTMAX_WORDS) or name in FORBIDDEN_EXACT


def _forbidden_origin(dotted: str):
    parts = dotted.split(".")
    if any(_softmax_name(part) for part in parts):
        return "a built-in softmax, log-softmax, logsumexp or loss"
    if parts[0] == "torch" and len(parts) > 1:
        if parts[1] == "special":
            return "torch.special is off limits here"
        if parts[1] == "ops":
            return "calls torch's operators directly"
    return "a private torch API" if _private_torch(dotted) else None


def _private_torch(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] == "torch" and any(p.startswith("_") and not p.startswith("__") for p in parts[1:])


# ---------------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class _Ref:
    """Where a name comes from: "ext" (a dotted origin outside the submission), "builtin",
    "local" (a module-level name of a submission file), "module" (a submission file), or
    "unbound" (nowhere)."""

    kind: str
    name: str
    file: str = ""


BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__", "__loader__",
                                             "__package__", "__path__", "__annotations__", "__builtins__"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _walk_scope(nodes):
    """Every node of `nodes` that runs in their own scope (nested scopes' nodes left out, but
    the defining node of a nested function or class is kept: its name binds here)."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _stored_names(target) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _is_main_guard(stmt) -> bool:
    test = getattr(stmt, "test", None)
    return (isinstance(stmt, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and any(isinstance(c, ast.Constant) and c.value == "__main__"
                                                   for c in test.comparators))


class Program:
    """The parsed files of a submission, and where each module-level name of them comes from."""

    def __init__(self, sources: dict[str, str]):
        self.sources = dict(sources)
        self.trees: dict[str, ast.Module] = {}
        self.broken: dict[str, str] = {}  # file -> why it does not parse
        for path, text in self.sources.items():
            try:
                self.trees[path] = ast.parse(text, filename=path)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                self.broken[path] = f"{type(exc).__name__}: {exc}"
        self._bindings: dict[str, dict] = {}
        self._stars: dict[str, list] = {}
        self._resolving: set = set()

    def line(self, file: str, lineno: int) -> str:
        lines = self.sources.get(file, "").splitlines()
        return lines[lineno - 1].strip()[:160] if 0 < lineno <= len(lines) else ""

    # -------------------------------------------------------- module-level names

    def bindings(self, file: str) -> dict[str, list]:
        """name -> [(node, alias)]: each statement (or header expression) that binds the name at
        module level, with the import alias for an import."""
        if file not in self._bindings:
            found: dict[str, list] = {}
            self._stars[file] = []

            def add(name, node, alias=None):
                found.setdefault(name, []).append((node, alias))

            def block(stmts):
                for stmt in stmts:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        add(stmt.name, stmt)
                    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        for alias in stmt.names:
                            if alias.name == "*":
                                self._stars[file].append(stmt)
                            else:
                                add(alias.asname or alias.name.split(".")[0], stmt, alias)
                    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                        for name in _stored_names(stmt.target):
                            add(name, stmt.iter)
                        block(stmt.body + stmt.orelse)
                    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                        for item in stmt.items:
                            for name in _stored_names(item.optional_vars) if item.optional_vars else ():
                                add(name, item.context_expr)
                        block(stmt.body)
                    elif isinstance(stmt, (ast.If, ast.While)):
                        for node in _walk_scope([stmt.test]):
                            if isinstance(node, ast.NamedExpr):
                                add(node.target.id, node)
                        block(stmt.body + stmt.orelse)
                    elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                        block(stmt.body + stmt.orelse + stmt.finalbody)
                        for handler in stmt.handlers:
                            if handler.name:
                                add(handler.name, handler.type or handler)
                            block(handler.body)
                    elif isinstance(stmt, ast.Match):
                        for case in stmt.cases:
                            for node in ast.walk(case.pattern):
                                name = getattr(node, "name", None)
                                if isinstance(name, str):
                                    add(name, stmt.subject)
                            block(case.body)
                    else:
                        for node in _walk_scope([stmt]):
                            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                                add(node.id, stmt)

            tree = self.trees.get(file)
            if tree is not None:
                block(tree.body)
                # `global x` in a function: the whole function may bind x
                for node in ast.walk(tree):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        for inner in _walk_scope(node.body):
                            if isinstance(inner, ast.Global):
                                for name in inner.names:
                                    add(name, node)
            self._bindings[file] = found
        return self._bindings[file]

    def module_file(self, file: str, module: str | None, level: int) -> str | None:
        """The submission file that `import module` (with `level` dots) names from `file`."""
        here = PurePosixPath(file).parent
        if level:
            for _ in range(level - 1):
                here = here.parent
            bases = [here]
        else:
            bases = [here, PurePosixPath(".")]  # beside the importer, or from the submission's root
        parts = module.split(".") if module else []
        for base in bases:
            stem = "/".join([p for p in (*base.parts, *parts) if p not in ("", ".")])
            for candidate in (f"{stem}.py", f"{stem}/__init__.py" if stem else "__init__.py"):
                if candidate in self.sources:
                    return candidate
        return None

    def import_refs(self, file: str, stmt, alias) -> list[_Ref]:
        if isinstance(stmt, ast.Import):
            name = alias.name if alias.asname else alias.name.split(".")[0]
            found = self.module_file(file, name, 0)
            return [_Ref("module", found)] if found else [_Ref("ext", name)]
        base = stmt.module or ""
        submodule = self.module_file(file, f"{base}.{alias.name}" if base else alias.name, stmt.level)
        if submodule:
            return [_Ref("module", submodule)]
        found = self.module_file(file, stmt.module, stmt.level)
        if found:
            return self.global_refs(found, alias.name)
        if stmt.level:
            return [_Ref("unbound", f"{'.' * stmt.level}{base}.{alias.name}", file)]
        return [_Ref("ext", f"{base}.{alias.name}")]

    def global_refs(self, file: str, name: str) -> list[_Ref]:
        """Where module-level `name` of `file` comes from (one ref per binding)."""
        key = (file, name)
        if key in self._resolving:
            return [_Ref("local", name, file)]
        self._resolving.add(key)
        try:
            binds = self.bindings(file).get(name)
            if binds:
                refs = []
                for node, alias in binds:
                    if alias is not None:
                        refs += self.import_refs(file, node, alias)
                    else:
                        refs.append(_Ref("local", name, file))
                        value = getattr(node, "value", None)  # `t = torch`: an alias of torch too
                        if isinstance(node, ast.Assign) and _chain(value) is not None:
                            refs += self.chain_refs(file, value, lambda n: self.global_refs(file, n))
                return list(dict.fromkeys(refs))
            if name in BUILTIN_NAMES:
                return [_Ref("builtin", name)]
            refs = []
            for star in self._stars.get(file, []):
                found = self.module_file(file, star.module, star.level)
                if found and name in self.bindings(found):
                    refs += self.global_refs(found, name)
                elif not found and not star.level:
                    refs.append(_Ref("ext", f"{star.module}.{name}"))
            return refs or [_Ref("unbound", name, file)]
        finally:
            self._resolving.discard(key)

    def member_refs(self, ref: _Ref, attr: str) -> list[_Ref]:
        if ref.kind == "ext":
            return [_Ref("ext", f"{ref.name}.{attr}")]
        if ref.kind == "builtin" and ref.name == "__builtins__":
            return [_Ref("builtin", attr)]
        if ref.kind == "module":
            sub = self.module_file(ref.name, attr, 1) if ref.name.endswith("__init__.py") else None
            return [_Ref("module", sub)] if sub else self.global_refs(ref.name, attr)
        return [ref]  # an attribute of a value: it comes from where the value does

    def chain_refs(self, file, expr, name_refs) -> list[_Ref]:
        chain = _chain(expr)
        if chain is None:
            return []
        root, attrs = chain
        refs = name_refs(root.id)
        for attr in attrs:
            refs = [m for r in refs for m in self.member_refs(r, attr)]
        return list(dict.fromkeys(refs))


def _literal_getattr(node):
    """(object, name) of `getattr(object, "name")` or `getattr(object, "name", default)`."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return node.args[0], node.args[1].value
    return None


def _chain(expr):
    """(root Name, [attributes]) of `a.b.c` or `getattr(a, "b").c`; None for anything else."""
    attrs = []
    while True:
        if isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        elif _literal_getattr(expr):
            expr, name = _literal_getattr(expr)
            attrs.append(name)
        elif isinstance(expr, ast.Name):
            return expr, attrs[::-1]
        else:
            return None


def _attribute_name(node):
    if isinstance(node, ast.Attribute):
        return node.attr
    found = _literal_getattr(node)
    return found[1] if found else None


# ---------------------------------------------------------------------------------- the walker


class _Scope:
    def __init__(self, kind, names=None, tainted=frozenset()):
        self.kind = kind  # "function", "class" or "comprehension"
        self.names = names or {}  # name -> list of alias expressions / import refs (empty: unknown)
        self.tainted = set(tainted)


def _function_scope(node, taint: bool) -> _Scope:
    """The local names of a function or lambda; with `taint`, every parameter and every name
    whose value flows from one (ex1: the layers are parameters)."""
    args = node.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    body = node.body if isinstance(node.body, list) else [node.body]
    names: dict[str, list] = {p: [] for p in params}
    declared = set()
    for inner in _walk_scope(body):
        if isinstance(inner, (ast.Global, ast.Nonlocal)):
            declared.update(inner.names)
        elif isinstance(inner, ast.Name) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            names.setdefault(inner.id, [])
        elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.setdefault(inner.name, [])
        elif isinstance(inner, (ast.Import, ast.ImportFrom)):
            for alias in inner.names:
                if alias.name != "*":
                    names.setdefault(alias.asname or alias.name.split(".")[0], []).append(("import", inner, alias))
        elif isinstance(inner, ast.ExceptHandler) and inner.name:
            names.setdefault(inner.name, [])
        elif isinstance(inner, (ast.MatchAs, ast.MatchStar)) and inner.name:
            names.setdefault(inner.name, [])
        elif isinstance(inner, ast.MatchMapping) and inner.rest:
            names.setdefault(inner.rest, [])
        if isinstance(inner, ast.Assign) and len(inner.targets) == 1 and isinstance(inner.targets[0], ast.Name) \
                and _chain(inner.value) is not None:
            names.setdefault(inner.targets[0].id, []).append(("alias", inner.value))
    for name in declared:
        names.pop(name, None)
    scope = _Scope("function", names)
    if taint:
        scope.tainted = set(params)
        _spread_taint(scope, body)
    return scope


def _flows(expr, tainted) -> bool:
    """Whether `expr`'s value may be (or hold) a tainted value: names, items, iteration."""
    if isinstance(expr, ast.Name):
        return expr.id in tainted
    if isinstance(expr, (ast.Attribute, ast.Subscript, ast.Starred, ast.Await)):
        return _flows(expr.value, tainted)
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return any(_flows(e, tainted) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return any(_flows(v, tainted) for v in expr.values)
    if isinstance(expr, ast.IfExp):
        return _flows(expr.body, tainted) or _flows(expr.orelse, tainted)
    if isinstance(expr, ast.BoolOp):
        return any(_flows(v, tainted) for v in expr.values)
    if isinstance(expr, ast.NamedExpr):
        return _flows(expr.value, tainted)
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return _flows(expr.elt, tainted)
    if isinstance(expr, ast.DictComp):
        return _flows(expr.value, tainted)
    if isinstance(expr, ast.Call):  # layers.children(), enumerate(layers), helper(layers), not d.get(type(layer))
        args = [*expr.args, *(k.value for k in expr.keywords)]
        return _flows(expr.func, tainted) or (isinstance(expr.func, ast.Name) and any(_flows(a, tainted) for a in args))
    return False


def _spread_taint(scope: _Scope, body):
    """Grow `scope.tainted` to every name assigned a value that flows from a tainted one."""
    pairs = []
    for node in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        if isinstance(node, ast.Assign):
            pairs += [(t, node.value) for t in node.targets]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            pairs.append((node.target, node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            pairs.append((node.target, node.iter))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            pairs += [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None]
        elif isinstance(node, ast.NamedExpr):
            pairs.append((node.target, node.value))
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if _flows(value, scope.tainted):
                new = set(_stored_names(target)) - scope.tainted
                if new:
                    scope.tainted |= new
                    changed = True


class _Walker:
    """Visits units of a program (a function, a class, a module's import-time code, a
    module-level value) with their scopes; calls the active rules on every node; follows each
    name the code uses to the submission's code that defines it, when `follow` is set.

    A unit is visited "strict" (every rule) or "import" (only `import_rules`: the module-level
    code of a module that the checked function's module needs)."""

    def __init__(self, program: Program, rules, *, import_rules=(), follow=True, unbound=False, taint=False):
        self.program = program
        self.rules, self.import_rules = tuple(rules), tuple(import_rules)
        self.follow, self.unbound, self.taint = follow, unbound, taint
        self.findings: dict[tuple, Finding] = {}
        self.queue: list = []
        self.seen: set = set()
        self.file, self.mode, self.scopes = "", "strict", []
        self.looking: set = set()

    # ------------------------------------------------------------ driving

    def add(self, file, node, mode="strict"):
        if (id(node), "strict") in self.seen or (id(node), mode) in self.seen:
            return
        self.seen.add((id(node), mode))
        self.queue.append((file, node, mode))

    def add_name(self, file, name, mode):
        for node, alias in self.program.bindings(file).get(name, []):
            if alias is None:
                self.add(file, node, mode)

    def add_module(self, file):
        if self.import_rules and file in self.program.trees:
            self.add(file, self.program.trees[file], "import")

    def run(self) -> list[Finding]:
        while self.queue:
            self.file, node, self.mode = self.queue.pop(0)
            self.scopes = []
            try:
                self.unit(node)
            except RecursionError:  # `a + a + ... + a`, thousands deep: unreadable is not innocent
                self.report(node, "the code", "is nested too deeply for the grader to read")
        return sorted(self.findings.values(), key=lambda f: (f.file, f.line, f.what))[:MAX_SHOWN]

    def report(self, node, what, why):
        line = getattr(node, "lineno", 0)
        key = (self.file, line, what)
        if key not in self.findings:
            self.findings[key] = Finding(self.file, line, what, why, self.program.line(self.file, line))

    # ------------------------------------------------------------ names

    def name_refs(self, name) -> list[_Ref]:
        if name in self.looking:  # `a = b` and `b = a`
            return []
        self.looking.add(name)
        try:
            return self._name_refs(name)
        finally:
            self.looking.discard(name)

    def _name_refs(self, name) -> list[_Ref]:
        innermost = True
        for scope in reversed(self.scopes):
            if scope.kind == "class" and not innermost:
                continue
            innermost = False
            if name in scope.names:
                refs = []
                for entry in scope.names[name]:
                    if entry[0] == "import":
                        refs += self.program.import_refs(self.file, entry[1], entry[2])
                    else:
                        refs += self.refs(entry[1])
                return refs
        return self.program.global_refs(self.file, name)

    def refs(self, expr) -> list[_Ref]:
        """Where the value of a name chain (`a.b.c`) comes from; [] when the walker can't say."""
        if _chain(expr) is None:
            return []
        return self.program.chain_refs(self.file, expr, self.name_refs)

    def tainted(self, expr) -> bool:
        names = set().union(*(s.tainted for s in self.scopes)) if self.scopes else set()
        return bool(names) and _flows(expr, names)

    # ------------------------------------------------------------ visiting

    def unit(self, node):
        if isinstance(node, ast.Module):  # import-time code: function bodies don't run
            for stmt in node.body:
                if not (self.mode == "import" and _is_main_guard(stmt)):
                    self.visit(stmt, None, bodies=self.mode != "import")
        else:
            self.visit(node, None, bodies=True)

    def visit(self, node, parent, *, bodies):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self.enter_function(node, bodies)
            return
        if isinstance(node, ast.ClassDef):
            for child in (*node.decorator_list, *node.bases, *node.keywords):
                self.visit(child, node, bodies=bodies)
            self.scopes.append(_Scope("class", {n: [] for s in node.body for n in _stored_names_of(s)}))
            for stmt in node.body:
                self.visit(stmt, node, bodies=bodies)
            self.scopes.pop()
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            scope = _Scope("comprehension", {n: [] for g in node.generators for n in _stored_names(g.target)})
            self.scopes.append(scope)
            self.check(node, parent)
            for child in ast.iter_child_nodes(node):
                self.visit(child, node, bodies=bodies)
            self.scopes.pop()
            return
        self.check(node, parent)
        for child in ast.iter_child_nodes(node):
            self.visit(child, node, bodies=bodies)

    def enter_function(self, node, bodies):
        args = node.args
        outer = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        if not isinstance(node, ast.Lambda):
            outer += [*node.decorator_list, *(a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                                      args.vararg, args.kwarg)
                                              if a is not None and a.annotation is not None)]
            outer += [node.returns] if node.returns is not None else []
        for child in outer:
            self.visit(child, node, bodies=bodies)
        if not bodies:
            return
        self.scopes.append(_function_scope(node, self.taint))
        for stmt in (node.body if isinstance(node.body, list) else [node.body]):
            self.visit(stmt, node, bodies=bodies)
        self.scopes.pop()

    def check(self, node, parent):
        rules = self.rules if self.mode == "strict" else self.import_rules
        for rule in rules:
            for what, why in rule(self, node, parent):
                self.report(node, what, why)
        if self.follow:
            self.follow_refs(node, parent)
        if self.unbound and self.mode == "strict" and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and any(r.kind == "unbound" for r in self.refs(node)):
            self.report(node, node.id, "is defined nowhere in the submission, so only code that defines "
                                       "names by computed name could provide it")

    def follow_refs(self, node, parent):
        """Queue the submission's code that `node` uses: imported modules (their import-time
        code), and in a strict unit every function, class or value it names. Import-time code
        follows only what it calls or decorates with: naming a function does not run it."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            refs = [r for a in node.names if a.name != "*" for r in self.program.import_refs(self.file, node, a)]
            if any(a.name == "*" for a in node.names):
                found = self.program.module_file(self.file, node.module, node.level)
                refs += [_Ref("module", found)] if found else []
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) or _is_chain_top(node, parent):
            if self.mode == "import" and not _runs_at_import(node, parent):
                return
            refs = self.refs(node)
        else:
            return
        for ref in refs:
            if ref.kind == "module":
                self.add_module(ref.name)
                if ref.name in self.program.broken and self.mode == "strict":
                    self.report(node, ref.name, f"could not be read: {self.program.broken[ref.name]}")
            elif ref.kind == "local" and (self.mode == "strict" or not isinstance(node, (ast.Import, ast.ImportFrom))):
                self.add_name(ref.file, ref.name, self.mode)


def _runs_at_import(node, parent) -> bool:
    """A name that import-time code calls, or decorates a definition with."""
    if isinstance(parent, ast.Call) and parent.func is node:
        return True
    return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node in parent.decorator_list


def _stored_names_of(stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    return [n.id for n in _walk_scope([stmt]) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _is_chain_top(node, parent) -> bool:
    """The outermost node of a name chain (`a.b.c`, `getattr(a, "b")`), not a bare name."""
    if isinstance(node, ast.Name) or _chain(node) is None:
        return False
    return parent is None or _chain_child(parent) is not node


def _chain_child(node):
    if isinstance(node, ast.Attribute):
        return node.value
    found = _literal_getattr(node)
    return found[0] if found else None


# ---------------------------------------------------------------------------------- rule helpers


def _origins(w: _Walker, node, parent):
    """The refs of a name, a chain's outermost node, or each alias of an import."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [r for alias in node.names if alias.name != "*"
                for r in w.program.import_refs(w.file, node, alias)] + (
            [_Ref("ext", f"{node.module}.*")] if any(a.name == "*" for a in node.names) and not node.level else [])
    if isinstance(node, ast.Name) or _is_chain_top(node, parent):
        return w.refs(node)
    return []


def _callee_is(w, call, names: set) -> bool:
    refs = w.refs(call.func)
    return any((r.kind == "builtin" and f"builtins.{r.name}" in names) or (r.kind == "ext" and r.name in names)
               for r in refs)


def machinery_rule(w: _Walker, node, parent):
    """The tamper scan's rule: code that reaches the grader or the interpreter's machinery."""
    for ref in _origins(w, node, parent):
        if ref.kind == "ext" and _machinery_origin(ref.name):
            yield _machinery_origin(ref.name)
        elif ref.kind == "builtin" and ref.name in MACHINERY_BUILTINS:
            yield ref.name, MACHINERY_BUILTINS[ref.name]
    attr = _attribute_name(node)
    if attr in MACHINERY_ATTRIBUTES:
        yield attr, MACHINERY_ATTRIBUTES[attr]
    if isinstance(node, ast.Call) and _callee_is(w, node, {f"builtins.{n}" for n in DYNAMIC_ATTRIBUTE_FUNCTIONS}):
        if len(node.args) < 2 or not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            yield f"{ast.unparse(node.func)}() with a computed name", "looks up an attribute by computed name"
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "/proc" in node.value:
        yield "'/proc'", "reads the processes' files"


def _attribute_on_value(w, node, parent):
    """The attribute name of a chain link whose object is a value the walker can't name
    (`x.softmax`, `self.f`), or of a module-level variable's value; None otherwise."""
    attr = _attribute_name(node)
    if attr is None:
        return None
    base = _chain_child(node)
    refs = w.refs(base) if base is not None else []
    named = [r for r in refs if r.kind in ("module", "ext")
             or (r.kind == "local" and all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                                           for n, _ in w.program.bindings(r.file).get(r.name, [])))]
    return None if named and len(named) == len(refs) else attr


def softmax_rule(w: _Walker, node, parent):
    """ex4: no built-in softmax, log-softmax, logsumexp or loss, by origin or by attribute name."""
    for ref in _origins(w, node, parent):
        if ref.kind == "ext" and _forbidden_origin(ref.name):
            yield ref.name, _forbidden_origin(ref.name)
    attr = _attribute_on_value(w, node, parent)
    if attr is not None and (_softmax_name(attr) or attr in FORBIDDEN_ATTRIBUTES):
        yield f".{attr}", "a built-in softmax, log-softmax, logsumexp or loss" if _softmax_name(attr) else (
            "a private or special torch API")


def forward_rule(w: _Walker, node, parent):
    """ex1: no layer runs: no call of a value that came from a parameter, no forward, no meta
    tensor, no tracer."""
    if isinstance(node, ast.Call):
        if w.tainted(node.func) and not isinstance(node.func, ast.Attribute):
            yield f"{ast.unparse(node.func)}(...)", "calls a layer passed in, which runs its forward"
        elif _callee_is(w, node, CALLERS) and node.args and w.tainted(node.args[0]):
            yield f"{ast.unparse(node.func)}({ast.unparse(node.args[0])}, ...)", "calls a layer, which runs its forward"
        elif any(k.arg == "key" and w.tainted(k.value) for k in node.keywords):
            yield f"key={ast.unparse(next(k.value for k in node.keywords if k.arg == 'key'))}", (
                "calls a layer, which runs its forward")
    attr = _attribute_name(node)
    if attr in FORWARD_ATTRIBUTES:
        yield f".{attr}", "runs a layer's forward"
    if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and node.value.strip().lower().split(":")[0] == "meta":
        yield repr(node.value), "meta tensors run a forward without data"
    for ref in _origins(w, node, parent):
        if ref.kind == "ext" and any(p in TRACERS for p in _prefixes(ref.name)):
            yield ref.name, "traces the network, which runs its forward"
        elif ref.kind == "ext" and _private_torch(ref.name):
            yield ref.name, "a private torch API"


# ---------------------------------------------------------------------------------- the checks


def tamper_findings(sources: dict[str, str]) -> list[Finding]:
    """Code in any file of the submission that reaches the grader or the interpreter's machinery.

    A file that does not parse has no findings: its import error is reported by the tests."""
    program = Program(sources)
    findings = []
    for file in sorted(program.trees):
        walker = _Walker(program, [machinery_rule], follow=False)
        walker.add(file, program.trees[file])
        findings += walker.run()
    return findings


def _reach(sources, file, function, rules, *, import_rules=(), taint=False) -> list[Finding]:
    """Findings of `rules` (and of the tamper scan's) in `function` of `file` and in everything
    of the submission that it reaches."""
    program = Program(sources)
    if file not in program.sources:
        return [Finding(file, 0, file, "is missing from the submission")]
    if file in program.broken:
        return [Finding(file, 0, file, f"could not be read: {program.broken[file]}")]
    binds = program.bindings(file).get(function)
    if not binds:
        return [Finding(file, 0, function, "is not defined by a def, an assignment or an import the grader can read")]
    walker = _Walker(program, [machinery_rule, *rules], import_rules=import_rules, unbound=True, taint=taint)
    for node, _ in binds:  # each definition, assignment or import that binds it
        walker.add(file, node)
    walker.add_module(file)
    return walker.run()


def forbidden_calls(sources: dict[str, str], file: str, function: str = "log_softmax") -> list[Finding]:
    """ex4: what `function` reaches (its code, defaults and decorators; the submission's functions,
    classes and module-level values it uses; helper modules) calls no built-in softmax. Import-time
    code of the modules involved may not reach one either."""
    return _reach(sources, file, function, [softmax_rule], import_rules=[softmax_rule])


def forward_calls(sources: dict[str, str], file: str, function: str = "trace_shapes") -> list[Finding]:
    """ex1: what `function` reaches runs no layer's forward (see `forward_rule`)."""
    return _reach(sources, file, function, [forward_rule], taint=True)
