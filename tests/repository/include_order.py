#!/usr/bin/env python3
"""Every public header compiles on its own, and all of them in two orders.

usage: include_order.py INCLUDE_DIR -- COMPILER [ARGS...]

A header that only compiles after another one (a name it uses but does not
include) breaks users who include it first. Each header under INCLUDE_DIR
is compiled alone (-fsyntax-only), then all of them in sorted and in
reverse order in one translation unit.
"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile


def compile_text(compiler, include_dir, text):
    with tempfile.NamedTemporaryFile('w', suffix='.cpp', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        proc = subprocess.run(compiler + ['-fsyntax-only', '-I' + include_dir, path], capture_output=True, text=True)
        return proc.returncode, proc.stdout + proc.stderr
    finally:
        os.unlink(path)


def main() -> int:
    if '--' not in sys.argv:
        print(__doc__)
        return 2
    sep = sys.argv.index('--')
    include_dir, compiler = sys.argv[1], sys.argv[sep + 1:]
    root = pathlib.Path(include_dir)
    headers = sorted(str(p.relative_to(root)) for p in root.rglob('*.hpp'))
    cases = [(h, f'#include "{h}"\nint main() {{}}\n') for h in headers]
    cases.append(('all, sorted', ''.join(f'#include "{h}"\n' for h in headers) + 'int main() {}\n'))
    cases.append(('all, reversed', ''.join(f'#include "{h}"\n' for h in reversed(headers)) + 'int main() {}\n'))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda c: (c[0], *compile_text(compiler, include_dir, c[1])), cases)
        for name, code, output in results:
            if code != 0:
                failed += 1
                print(f'FAIL {name}')
                print('\n'.join(output.splitlines()[:15]))
    print(f'{len(cases) - failed} of {len(cases)} include sets compile')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
