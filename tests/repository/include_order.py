#!/usr/bin/env python3
"""Every public header compiles on its own, and all of them in two orders.

usage: include_order.py INCLUDE_DIR -- COMPILER [ARGS...]

A header that only compiles after another one (a name it uses but does not
include) breaks users who include it first. Each header under INCLUDE_DIR
is compiled alone (-fsyntax-only), then all of them in sorted and in
reverse order in one translation unit.

Hubs. Most of the check's time went into compiling the same few headers
again under each header that includes them: runtime/op_registry.hpp
instantiates every op's prepare (5-6 s under each of the 14 headers that
include it), kernels/all-inl.hpp, runtime/op_context.hpp and the runtime
ops parse Highway and the kernels (1-2 s under each of dozens). So such a
header (a hub: HUB_SIZE, below) is compiled once, as a precompiled header
whose templates are instantiated in it (-fpch-instantiate-templates); that
compile is its own check. Each other header is compiled with the PCH of the
largest hub it includes, directly or not, in place of that hub's text. (The
PCHs take about 300 MiB in a temporary directory while the check runs.)

Why this checks the same thing: a header H compiles alone when its own
text (after its #includes) finds what it uses, and each header it includes
compiles alone. The names H's own text sees alone are those of the headers
it includes, directly or not; with the PCH of a hub among those, they are
the same set (the hub's, which H includes anyway, plus H's). Each included
header is checked in its own run. What a PCH changes is the order in which
H's includes are read (the hub's first): the two whole-set orders are the
check of order, and they are compiled without a PCH. (Not chained PCHs,
one hub's on another's: Clang 14 then redefines Highway's per-target
types, whose include guards toggle.)
"""
import concurrent.futures
import functools
import os
import pathlib
import re
import subprocess
import sys
import tempfile

# A hub includes at least HUB_SIZE headers and is included by at least
# HUB_DEPENDENTS, directly or not; and no header it includes is nearly as
# large (HUB_OVERLAP of its size): then it adds little to that one's PCH,
# and precompiling it would compile that one's text (op_registry.hpp's
# instantiations) once more. Never a per-target -inl header: Highway reads
# those once per target (foreach_target.h), and their include guards
# toggle; precompiled, a later re-inclusion redefines Highway's types.
HUB_SIZE, HUB_DEPENDENTS, HUB_OVERLAP = 20, 10, 0.9


def compile_text(compiler, include_dir, text, extra=()):
    with tempfile.NamedTemporaryFile('w', suffix='.cpp', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        proc = subprocess.run(compiler + list(extra) + ['-fsyntax-only', '-I' + include_dir, path],
                              capture_output=True, text=True)
        return proc.returncode, proc.stdout + proc.stderr
    finally:
        os.unlink(path)


def build_pch(compiler, include_dir, header, out):
    proc = subprocess.run(compiler + ['-I' + include_dir, '-x', 'c++-header', str(pathlib.Path(include_dir) / header),
                                      '-fpch-instantiate-templates', '-o', out], capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def included_closures(root, headers):
    """header -> every qfence header it includes, directly or not."""
    direct = {h: [i for i in re.findall(r'^\s*#\s*include\s+"([^"]+)"', (root / h).read_text(), re.M) if i in headers]
              for h in headers}

    @functools.lru_cache(maxsize=None)
    def closure(h):
        found = set()
        for i in direct[h]:
            found.add(i)
            found |= closure(i)
        return frozenset(found)

    return {h: closure(h) for h in headers}


def choose_hubs(headers, closures):
    dependents = {h: sum(h in c for c in closures.values()) for h in headers}
    candidates = {h for h in headers
                  if len(closures[h]) >= HUB_SIZE and dependents[h] >= HUB_DEPENDENTS and not h.endswith('-inl.hpp')}
    return sorted(h for h in candidates
                  if not any(len(closures[u]) >= HUB_OVERLAP * len(closures[h]) for u in closures[h] & candidates))


def main() -> int:
    if '--' not in sys.argv:
        print(__doc__)
        return 2
    sep = sys.argv.index('--')
    include_dir, compiler = sys.argv[1], sys.argv[sep + 1:]
    root = pathlib.Path(include_dir)
    headers = sorted(str(p.relative_to(root)) for p in root.rglob('*.hpp'))
    closures = included_closures(root, set(headers))
    hubs = choose_hubs(headers, closures)
    failed = 0

    def report(name, code, output):
        nonlocal failed
        if code != 0:
            failed += 1
            print(f'FAIL {name}')
            print('\n'.join(output.splitlines()[:15]))

    workers = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        pch = {h: os.path.join(tmp, f'hub{i}.pch') for i, h in enumerate(hubs)}
        built = set()
        # Each hub alone, as its PCH.
        for h, (code, output) in zip(hubs, pool.map(lambda h: build_pch(compiler, include_dir, h, pch[h]), hubs)):
            report(h, code, output)
            if code == 0:
                built.add(h)

        def alone(h):
            usable = [u for u in closures[h] if u in built]
            hub = max(usable, key=lambda u: (len(closures[u]), u)) if usable else None
            return compile_text(compiler, include_dir, f'#include "{h}"\nint main() {{}}\n',
                                ['-include-pch', pch[hub]] if hub else [])

        def together(order):
            return compile_text(compiler, include_dir, ''.join(f'#include "{h}"\n' for h in order) + 'int main() {}\n')

        cases = [(h, functools.partial(alone, h)) for h in headers if h not in pch]
        cases.append(('all, sorted', functools.partial(together, headers)))
        cases.append(('all, reversed', functools.partial(together, list(reversed(headers)))))
        for name, (code, output) in zip([c[0] for c in cases], pool.map(lambda c: c[1](), cases)):
            report(name, code, output)
    total = len(hubs) + len(cases)
    print(f'{total - failed} of {total} include sets compile ({len(hubs)} of the headers precompiled as hubs)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
