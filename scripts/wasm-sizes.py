#!/usr/bin/env python3
"""wasm-sizes.py — what a wasm file is made of: its function bodies' bytes summed by crate (or
by the path prefix of DEPTH segments), from the module's `name` section. Needs a wasm that kept
its names: `cargo leptos build --release --wasm-debug` (georep's release wasm has none).

Usage: python3 scripts/wasm-sizes.py FILE.wasm [DEPTH] [TOP]
"""
import collections
import re
import sys


def leb(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(buf):
    pos = 8  # magic and version
    while pos < len(buf):
        sid = buf[pos]
        size, pos = leb(buf, pos + 1)
        yield sid, buf[pos:pos + size]
        pos += size


def imported_functions(body):
    count, pos = leb(body, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, pos = leb(body, pos)
            pos += n
        kind = body[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = leb(body, pos)
            funcs += 1
        elif kind == 1:  # table: reftype, limits
            pos += 1
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 3:  # global: valtype, mutability
            pos += 2
        else:  # tag
            pos += 1
            _, pos = leb(body, pos)
    return funcs


def function_names(body):
    pos = len(b"\x04name")
    names = {}
    while pos < len(body):
        sub = body[pos]
        size, pos = leb(body, pos + 1)
        end = pos + size
        if sub == 1:
            count, p = leb(body, pos)
            for _ in range(count):
                idx, p = leb(body, p)
                n, p = leb(body, p)
                names[idx] = body[p:p + n].decode("utf-8", "replace")
                p += n
        pos = end
    return names


ESCAPES = {"LT": "<", "GT": ">", "RF": "&", "BP": "*", "C": ",", "SP": "@", "LP": "(", "RP": ")"}


def unescape(seg):
    seg = re.sub(r"^_\$", "$", seg)
    seg = re.sub(r"\$u([0-9a-f]{2})\$", lambda m: chr(int(m.group(1), 16)), seg)
    seg = re.sub(r"\$([A-Z]{1,2})\$", lambda m: ESCAPES.get(m.group(1), m.group(0)), seg)
    return seg.replace("..", "::")


def path_of(name):
    """The path segments of a (legacy-mangled or plain) Rust symbol."""
    if name.startswith("_ZN"):
        segs, rest = [], name[3:]
        while rest and rest[0].isdigit():
            n = int(re.match(r"\d+", rest).group())
            rest = rest[len(str(n)):]
            segs.append(rest[:n])
            rest = rest[n:]
        segs = [unescape(s) for s in segs if not re.fullmatch(r"h[0-9a-f]{16}", s)]
        name = "::".join(segs)
    # `<impl Trait for Type>::f` and `<Type as Trait>::f`: the type's crate
    name = name.lstrip("<&*")
    name = re.sub(r"^(mut |const |dyn )", "", name)
    return [s for s in re.split(r"::|<| as | for ", name) if s]


def main():
    path = sys.argv[1]
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    buf = open(path, "rb").read()
    imports, bodies, names = 0, [], {}
    for sid, body in sections(buf):
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            count, pos = leb(body, 0)
            for _ in range(count):
                size, start = leb(body, pos)
                bodies.append(start - pos + size)
                pos = start + size
        elif sid == 0 and body[1:5] == b"name":
            names = function_names(body)
    if not names:
        sys.exit(f"{path}: no name section (build with --wasm-debug)")
    by = collections.Counter()
    for i, size in enumerate(bodies):
        segs = path_of(names.get(imports + i, "?"))
        by["::".join(segs[:depth]) or "?"] += size
    total = sum(bodies)
    print(f"{total:>10}  function bodies, {len(bodies)} functions, file {len(buf)}")
    for key, size in by.most_common(top):
        print(f"{size:>10}  {100 * size / total:5.1f} %  {key}")


if __name__ == "__main__":
    main()
