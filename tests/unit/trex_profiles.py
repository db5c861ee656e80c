#!/usr/bin/env python3
"""The TRex profiles of bench/trex, read without TRex (it is not installable here).

    trex_profiles.py check DIR           compile every profile and check its structure
    trex_profiles.py header OUT DIR      write the C header test_http_profiles.c replays

Both read the files with ast only, never import them: the profiles import trex.

check: every *.py in DIR compiles; a profile (astf_*.py, stl_*.py) defines a module-level
register() that returns an instance of a class of the same file, that class has the entry
point TRex calls (get_profile(self, tunables, **kwargs) for ASTF, get_streams(...) for STL),
it names only API classes of its kind that TRex documents, every ASTFGlobalInfo option it sets
exists, each recv() is given a byte count (not a literal guess) and every HTTP_REQUEST* is a
bytes literal.  tt_target.py holds literals only.

header: every module-level HTTP_REQUEST* constant of the profiles (a name ending in _CLOSE
asks the server to close), and tt_target.py's literals as macros.
"""
import ast
import py_compile
import sys
import tempfile
from pathlib import Path

ASTF_API = {
    "ASTFAssociationRule", "ASTFGlobalInfo", "ASTFIPGen", "ASTFIPGenDist", "ASTFIPGenGlobal",
    "ASTFProfile", "ASTFProgram", "ASTFTCPClientTemplate", "ASTFTCPServerTemplate",
    "ASTFTemplate",
}
STL_API = {
    "CTRexVmInsFixHwCs", "STLPktBuilder", "STLScVmRaw", "STLStream", "STLTXCont",
    "STLVmFixChecksumHw", "STLVmFlowVar", "STLVmWrFlowVar",
}
# ASTFGlobalInfo's "tcp" options (trex_astf_global_info.py).
TCP_OPTIONS = {
    "mss", "initwnd", "rxbufsize", "txbufsize", "rexmtthresh", "do_rfc1323", "keepinit",
    "keepidle", "keepintvl", "blackhole", "delay_ack_msec", "no_delay", "no_delay_counter",
}
# ASTFProgram's commands.
PROGRAM_CALLS = {
    "send", "recv", "delay", "reset", "wait_for_peer_close", "connect", "set_var",
    "set_label", "jmp_nz", "set_send_blocking",
}
LOCAL_MODULES = {"tt_astf", "tt_target"}


def constants(tree):
    """Module-level NAME = literal assignments, evaluated with ast.literal_eval."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def requests(tree):
    return {k: v for k, v in constants(tree).items() if k.startswith("HTTP_REQUEST")}


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, path, node, msg):
        line = getattr(node, "lineno", 0)
        self.errors.append(f"{path.name}:{line}: {msg}")

    def imports(self, path, tree, api, module):
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.module == module:
                    for a in node.names:
                        if a.name not in api:
                            self.fail(path, node, f"{a.name} is not in the {module} API used here")
                        names.add(a.name)
                elif node.module in LOCAL_MODULES or node.module in (
                        "scapy.layers.inet", "scapy.layers.l2"):
                    pass
                elif node.module and node.module.startswith("trex"):
                    self.fail(path, node, f"imports from {node.module}, expected {module}")
                if any(a.name == "*" for a in node.names):
                    self.fail(path, node, "import *: name what is used")
        return names

    def register(self, path, tree, entry):
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        reg = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "register"]
        if len(reg) != 1:
            self.fail(path, tree, "no module-level register()")
            return
        fn = reg[0]
        if fn.args.args:
            self.fail(path, fn, "register() takes no arguments")
        ret = fn.body[-1]
        if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Call) and
                isinstance(ret.value.func, ast.Name) and ret.value.func.id in classes):
            self.fail(path, fn, "register() must return an instance of a class of this file")
            return
        cls = classes[ret.value.func.id]
        methods = {m.name: m for m in cls.body if isinstance(m, ast.FunctionDef)}
        if entry not in methods:
            self.fail(path, cls, f"{cls.name} has no {entry}()")
            return
        args = methods[entry].args
        names = [a.arg for a in args.args]
        if names[:2] != ["self", "tunables"] or args.kwarg is None:
            self.fail(path, methods[entry], f"{entry} must be (self, tunables, **kwargs)")

    def astf_calls(self, path, tree, consts, imported):
        for node in ast.walk(tree):
            # info.tcp.OPTION = value
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Attribute) \
                            and t.value.attr == "tcp" and t.attr not in TCP_OPTIONS:
                        self.fail(path, node, f"ASTFGlobalInfo has no tcp.{t.attr}")
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id.startswith("ASTF") and f.id not in imported:
                self.fail(path, node, f"{f.id} used but not imported")
            if isinstance(f, ast.Attribute) and f.attr == "recv":
                if not node.args or isinstance(node.args[0], ast.Constant):
                    self.fail(path, node, "recv() needs a byte count computed from the "
                              "response sizes, not a literal")
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                    f.value.id in ("client", "prog", "server") and f.attr not in PROGRAM_CALLS:
                self.fail(path, node, f"ASTFProgram has no {f.attr}()")

    def check_file(self, path, scratch):
        try:
            py_compile.compile(str(path), cfile=str(Path(scratch) / "x.pyc"), doraise=True)
        except py_compile.PyCompileError as e:
            self.errors.append(f"{path.name}: does not compile: {e.msg}")
            return
        tree = ast.parse(path.read_text(), str(path))
        consts = constants(tree)
        for name, value in requests(tree).items():
            if not isinstance(value, bytes) or not value:
                self.fail(path, tree, f"{name} must be a non-empty bytes literal")
        if path.name == "tt_target.py":
            for node in tree.body:
                if isinstance(node, ast.Assign) and node.targets[0].id not in consts:
                    self.fail(path, node, "tt_target.py must hold literals only")
        elif path.name == "tt_astf.py":
            self.astf_calls(path, tree, consts, self.imports(path, tree, ASTF_API,
                                                               "trex.astf.api"))
        elif path.name.startswith("astf_"):
            imported = self.imports(path, tree, ASTF_API, "trex.astf.api")
            self.register(path, tree, "get_profile")
            self.astf_calls(path, tree, consts, imported)
            if not requests(tree):
                self.fail(path, tree, "no HTTP_REQUEST constant")
        elif path.name.startswith("stl_"):
            self.imports(path, tree, STL_API, "trex.stl.api")
            self.register(path, tree, "get_streams")


def check(directory):
    files = sorted(Path(directory).glob("*.py"))
    c = Checker()
    with tempfile.TemporaryDirectory() as scratch:
        for path in files:
            c.check_file(path, scratch)
    profiles = [p.name for p in files if p.name.startswith(("astf_", "stl_"))]
    if len(profiles) < 4:
        c.errors.append(f"{directory}: expected the cps, rps, synflood and stl profiles, "
                        f"found {profiles}")
    for e in c.errors:
        print(e, file=sys.stderr)
    print(f"{len(files)} files, {len(profiles)} profiles, {len(c.errors)} errors")
    return 1 if c.errors else 0


def c_string(b):
    return '"' + "".join(chr(x) if 32 <= x < 127 and chr(x) not in '"\\?' else f"\\{x:03o}"
                         for x in b) + '"'


def header(out, directory):
    d = Path(directory)
    target = constants(ast.parse((d / "tt_target.py").read_text()))
    lines = ["/* Generated by tests/unit/trex_profiles.py from bench/trex: do not edit. */",
             "#ifndef TREX_PROFILES_H", "#define TREX_PROFILES_H", ""]
    for k, v in sorted(target.items()):
        if isinstance(v, int):
            lines.append(f"#define TREX_{k} {v}u")
        elif isinstance(v, str):
            lines.append(f"#define TREX_{k} {c_string(v.encode())}")
    lines += ["", "static const struct trex_request {", "\tconst char *name;",
              "\tconst char *bytes;", "\tunsigned len;", "\tbool close;",
              "} trex_requests[] = {"]
    n = 0
    for path in sorted(d.glob("astf_*.py")):
        for name, value in requests(ast.parse(path.read_text())).items():
            lines.append(f'\t{{"{path.name} {name}", {c_string(value)}, {len(value)}u, '
                         f'{"true" if name.endswith("_CLOSE") else "false"}}},')
            n += 1
    if n == 0:
        sys.exit(f"{directory}: no HTTP_REQUEST constants")
    lines += ["};", "", "#endif", ""]
    Path(out).write_text("\n".join(lines))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 4 and argv[1] == "header":
        return header(argv[2], argv[3])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
