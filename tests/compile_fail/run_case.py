#!/usr/bin/env python3
"""Compile one compile-fail case and check that it fails the right way.

usage: run_case.py CASE.cpp -- COMPILER [ARGS...]

The case file states what the compiler must say in lines of the form
    // expect: REGEX
Every REGEX must match the compiler's output (whitespace collapsed). The case
passes only when compilation fails, every REGEX matches, and exactly one
static_assert fired: qfence promises one readable error, not a cascade.
"""
import re
import subprocess
import sys


def crashed(proc, output):
    """The compiler died (a signal, or its crash handler's report), which says nothing of the case."""
    return proc.returncode < 0 or 'PLEASE submit a bug report' in output


def main() -> int:
    if '--' not in sys.argv:
        print(__doc__)
        return 2
    sep = sys.argv.index('--')
    case, compiler = sys.argv[1], sys.argv[sep + 1:]
    with open(case, encoding='utf-8') as f:
        expects = [m.group(1).strip() for m in re.finditer(r'^// expect: (.*)$', f.read(), re.M)]
    if not expects:
        print(f'{case}: no "// expect:" line; a case must say what error it expects')
        return 1
    proc = subprocess.run(compiler + ['-fsyntax-only', case], capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    if crashed(proc, output) and '-include-pch' in compiler:
        # Clang 14 crashes reading a precompiled qfence.hpp back for a few
        # cases (tests/compile_fail/meson.build): the case itself decides.
        at = compiler.index('-include-pch')
        proc = subprocess.run(compiler[:at] + compiler[at + 2:] + ['-fsyntax-only', case], capture_output=True,
                              text=True)
        output = proc.stdout + proc.stderr
        print('(the compiler crashed reading the precompiled qfence.hpp; compiled again without it)')
    if crashed(proc, output):
        print(f'FAIL {case}: the compiler crashed')
        print('\n'.join(output.splitlines()[:60]))
        return 1
    flat = re.sub(r'\s+', ' ', output)
    failures = []
    if proc.returncode == 0:
        failures.append('the case compiled, but it must not')
    for rx in expects:
        if not re.search(rx, flat):
            failures.append(f'the compiler output does not match: {rx}')
    asserts = len(re.findall(r'error: static.assert(ion)? failed', output))
    if proc.returncode != 0 and asserts != 1:
        failures.append(f'expected exactly one failed static_assert, saw {asserts}')
    if failures:
        print(f'FAIL {case}')
        for f in failures:
            print('  - ' + f)
        print('---- compiler output (first 60 lines) ----')
        print('\n'.join(output.splitlines()[:60]))
        return 1
    first = next((l for l in output.splitlines() if 'static' in l and 'failed' in l), '')
    print(f'ok {case}\n  {first.strip()[:400]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
