#!/usr/bin/python3
"""Generates ir/op_attrs.def, the attribute schema of every operator.

    /usr/bin/python3 scripts/gen_op_attrs.py            (writes ir/op_attrs.def)
    /usr/bin/python3 scripts/gen_op_attrs.py --check    (exit 1 when the file is stale)

How it works: for every operator of the ONNX domains "" (ai.onnx),
ai.onnx.preview.training and ai.onnx.ml that Debian's onnx package knows, it asks
onnx.defs.get_schema(op, version, domain) for every opset version from 1 to
the newest and takes the union of the attribute names over the versions (an
operator keeps an attribute's name across opsets; a name that was dropped in
a later opset is still accepted, since node->opset may be old), recording each
attribute's kind.  Then it merges scripts/op_attrs_extra.txt, written by hand,
for what that onnx (1.12) does not know: operators and attributes of newer
opsets, and the dlcc-internal operators (domain "dlcc": gradient and training
helpers) with the attributes dlcc's own passes set on them.  Rows are keyed by
domain and ONNX name, as in ops.def, so an operator added to ops.def later
needs only a new row here, never a C change.

Row format (ir/op_attrs.def, an X-macro read by ir/attrs.c):

    ATTRS("domain", "OnnxName", "name:kind name:kind ...")

kind is one of int float string tensor graph sparse_tensor type_proto ints
floats strings tensors graphs sparse_tensors type_protos; "a|b" when the kind
changed across opsets; a lone "*" accepts any further attribute (helpers that
copy the attributes of the forward node they differentiate).
"""

import argparse
import os
import re
import sys

import onnx
import onnx.defs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEF_PATH = os.path.join(ROOT, "ir", "op_attrs.def")
EXTRA_PATH = os.path.join(ROOT, "scripts", "op_attrs_extra.txt")
DOMAINS = ["", "ai.onnx.preview.training", "ai.onnx.ml"]
KINDS = {"int", "float", "string", "tensor", "graph", "sparse_tensor", "type_proto", "ints", "floats",
         "strings", "tensors", "graphs", "sparse_tensors", "type_protos"}


def kind_name(attr_type):
    """onnx.defs.OpSchema.AttrType.INTS -> "ints"."""
    return str(attr_type).rsplit(".", 1)[-1].lower()


def onnx_attrs():
    """{(domain, name): {attr: set(kinds)}} from every opset version of onnx.defs."""
    names = {}
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain in DOMAINS:
            names.setdefault((s.domain, s.name), 0)
    newest = {}
    for s in onnx.defs.get_all_schemas_with_history():
        key = s.domain
        newest[key] = max(newest.get(key, 1), s.since_version)
    table = {}
    for (domain, name) in sorted(names):
        attrs = table.setdefault((domain, name), {})
        for version in range(1, newest[domain] + 1):
            try:
                s = onnx.defs.get_schema(name, version, domain)
            except onnx.defs.SchemaError:
                continue  # not defined yet at this version
            for a in s.attributes.values():
                attrs.setdefault(a.name, set()).add(kind_name(a.type))
    return table


def read_extra(path):
    """Rows of op_attrs_extra.txt: (domain, name, [token...]) in file order."""
    rows = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            full = words[0]
            domain, _, name = full.rpartition(".")
            for tok in words[1:]:
                if tok == "*" or tok.startswith("@"):
                    continue
                attr, _, kind = tok.partition(":")
                if not attr or any(k not in KINDS for k in kind.split("|")):
                    sys.exit("%s:%d: bad attribute '%s' (want name:kind)" % (path, lineno, tok))
            rows.append((domain, name, words[1:], lineno))
    return rows


def merge(table, extra):
    """Adds the hand-written rows; '@Op' copies Op's attributes, '*' opens the row."""
    opened = set()
    pending = []
    for domain, name, toks, lineno in extra:
        attrs = table.setdefault((domain, name), {})
        for tok in toks:
            if tok == "*":
                opened.add((domain, name))
            elif tok.startswith("@"):
                pending.append(((domain, name), tok[1:], lineno))
            else:
                attr, _, kind = tok.partition(":")
                attrs.setdefault(attr, set()).update(kind.split("|"))
    # Inheritance after every plain row is in, so '@Op' sees Op's extras too.
    for key, src, lineno in pending:
        sdomain, _, sname = src.rpartition(".")
        if (sdomain, sname) not in table:
            sys.exit("%s:%d: @%s names no operator" % (EXTRA_PATH, lineno, src))
        for attr, kinds in table[(sdomain, sname)].items():
            table[key].setdefault(attr, set()).update(kinds)
        if (sdomain, sname) in opened:
            opened.add(key)
    return opened


def ops_def_rows():
    """(domain, name) of every OP row in ir/ops.def and the files it includes."""
    rows = []
    ir = os.path.join(ROOT, "ir")
    with open(os.path.join(ir, "ops.def")) as f:
        includes = re.findall(r'#include\s+"([^"]+)"', f.read())
    for inc in includes:
        with open(os.path.join(ir, inc)) as f:
            for m in re.finditer(r'^OP\(\s*\w+\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"', f.read(), re.M):
                rows.append((m.group(2), m.group(1)))
    return rows


def render(table, opened):
    out = ["/*",
           " * op_attrs.def: the attributes every operator accepts, by name and kind.",
           " * GENERATED by scripts/gen_op_attrs.py from onnx %s's schemas (every opset" % onnx.__version__,
           " * version, union of the names) plus scripts/op_attrs_extra.txt; do not edit,",
           " * edit the extra file and rerun the script.",
           " *",
           " *   ATTRS(\"domain\", \"OnnxName\", \"name:kind name:kind ...\")",
           " *",
           " * kind: int float string tensor graph sparse_tensor type_proto, or a list",
           " * kind (ints floats ...); \"a|b\" when it changed across opsets; a \"*\" accepts",
           " * any further attribute.  Read by ir/attrs.c.",
           " */"]
    for (domain, name) in sorted(table, key=lambda k: (k[0], k[1].lower())):
        attrs = table[(domain, name)]
        toks = ["%s:%s" % (a, "|".join(sorted(attrs[a]))) for a in sorted(attrs)]
        if (domain, name) in opened:
            toks.append("*")
        out.append('ATTRS("%s", "%s", "%s")' % (domain, name, " ".join(toks)))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail when ir/op_attrs.def is not up to date")
    args = ap.parse_args()
    table = onnx_attrs()
    opened = merge(table, read_extra(EXTRA_PATH))
    text = render(table, opened)
    missing = [("%s.%s" % (d, n)) if d else n for d, n in ops_def_rows() if (d, n) not in table]
    if missing:
        print("note: no attribute schema for %d op(s) of ops.def: %s" % (len(missing), " ".join(missing)))
    if args.check:
        with open(DEF_PATH) as f:
            if f.read() != text:
                sys.exit("ir/op_attrs.def is stale: run /usr/bin/python3 scripts/gen_op_attrs.py")
        return
    with open(DEF_PATH, "w") as f:
        f.write(text)
    print("wrote %s: %d operators" % (os.path.relpath(DEF_PATH, ROOT), len(table)))


if __name__ == "__main__":
    main()
