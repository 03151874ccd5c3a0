#!/usr/bin/env python3
"""The import graph of a crate's modules (files), and its circles.

Usage: scripts/imports.py [server/src] [--level N]
A reference `crate::a::b::c` (in a `use` or inline) counts as an arrow from the file to the
longest module prefix that exists as a file; `super::`/`self::` are resolved. Test modules
(`tests.rs`, `*_tests.rs`, `#[cfg(test)]` blocks) are left out. With --level N modules are
cut to their first N path segments (e.g. 1: api, service, sync). Prints the circles
(strongly connected components of more than one module) and exits 1 if there are any.
"""
import os, re, sys

root = 'server/src'
level = None
args = sys.argv[1:]
if '--level' in args:
    i = args.index('--level'); level = int(args[i + 1]); del args[i:i + 2]
if args:
    root = args[0]

mods = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'):
            continue
        p = os.path.join(d, f)
        rel = os.path.relpath(p, root)[:-3].split(os.sep)
        if rel[-1] in ('mod', 'lib', 'main'):
            rel = rel[:-1]
        if rel and (rel[-1] == 'tests' or rel[-1].endswith('_tests')):
            continue
        mods[tuple(rel)] = p

def strip_tests(src):
    out, skip, depth = [], False, 0
    lines = src.split('\n')
    i = 0
    while i < len(lines):
        l = lines[i]
        if l.strip().startswith('#[cfg(test)]'):
            # skip the next item (a block until its braces close, or one line)
            j = i + 1
            depth = 0; started = False
            while j < len(lines):
                depth += lines[j].count('{') - lines[j].count('}')
                if '{' in lines[j]:
                    started = True
                if (started and depth <= 0) or (not started and lines[j].rstrip().endswith(';')):
                    break
                j += 1
            i = j + 1
            continue
        out.append(l)
        i += 1
    return '\n'.join(out)

def resolve(cur, path):
    segs = path.split('::')
    if segs[0] == 'crate':
        base = []
        segs = segs[1:]
    elif segs[0] in ('super', 'self'):
        base = list(cur)
        while segs and segs[0] in ('super', 'self'):
            if segs[0] == 'super':
                base = base[:-1]
            segs = segs[1:]
    else:
        return None
    full = base + segs
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in mods:
            return tuple(full[:n])
    return None

def cut(m):
    return m if level is None else m[:level]

edges = {}
pat = re.compile(r'\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)')
group = re.compile(r'\buse\s+((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}', re.S)
for m, p in mods.items():
    src = strip_tests(open(p).read())
    src = re.sub(r'//[^\n]*', '', src)
    refs = set(pat.findall(src))
    for g in group.finditer(src):
        for item in re.split(r'[,{}\s]+', g.group(2)):
            item = item.strip()
            if item and item not in ('self',) and re.match(r'[A-Za-z_]', item):
                refs.add(g.group(1) + '::' + item.split('::')[0])
    cur = m if not p.endswith(('mod.rs', 'lib.rs', 'main.rs')) else m
    # a file module's `super` is its parent; a mod.rs's `super` is the parent of its dir
    for r in refs:
        base = m if (p.endswith('mod.rs') or p.endswith('lib.rs')) else m[:-1] + (m[-1],)
        t = resolve(m if not p.endswith(('mod.rs','lib.rs')) else m + ('_',), r) if r.startswith(('super', 'self')) else resolve(m, r)
        if t is None:
            continue
        a, b = cut(m), cut(t)
        if a != b and not (len(a) < len(b) and b[:len(a)] == a) and not (len(b) < len(a) and a[:len(b)] == b):
            edges.setdefault(a, set()).add(b)

# Tarjan
index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
def sc(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            sc(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            out.append(comp)
sys.setrecursionlimit(10000)
nodes = set(edges) | {w for ws in edges.values() for w in ws}
for v in sorted(nodes):
    if v not in index:
        sc(v)
name = lambda m: '::'.join(m) or 'crate'
for comp in out:
    cs = set(comp)
    print('circle:', ', '.join(sorted(name(c) for c in comp)))
    for a in sorted(comp):
        for b in sorted(edges.get(a, ())):
            if b in cs:
                print(f'   {name(a)} -> {name(b)}')
print(f'{len(nodes)} modules, {sum(len(v) for v in edges.values())} arrows, {len(out)} circles')
sys.exit(1 if out else 0)
