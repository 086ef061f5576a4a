#!/usr/bin/env python3
"""Every qfence header keeps its code inside QFENCE_EXACT_FLOAT_BEGIN/END
(core/exact_float.hpp): opened after its last #include, so no standard or
third-party header is compiled in the region, and closed at its end. A header
without it would let the compiler fuse a * b + c in its functions and break
bit-exactness in applications built with FMA (docs/numerics.md).
"""
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'include') / 'qfence'
exempt = {'tflite/schema_generated.hpp', 'tflite/support_metadata_generated.hpp', 'core/exact_float.hpp'}
problems = []
for p in sorted(root.rglob('*.hpp')):
    rel = p.relative_to(root).as_posix()
    if rel in exempt:
        continue
    lines = [l.strip() for l in p.read_text().splitlines()]
    code = [l for l in lines if l and not l.startswith('//')]
    try:
        begin = lines.index('QFENCE_EXACT_FLOAT_BEGIN')
    except ValueError:
        problems.append(f'{rel}: no QFENCE_EXACT_FLOAT_BEGIN')
        continue
    last_include = max((i for i, l in enumerate(lines) if l.startswith('#include')), default=-1)
    if begin < last_include:
        problems.append(f'{rel}: an #include follows QFENCE_EXACT_FLOAT_BEGIN (line {last_include + 1})')
    if '#include "qfence/core/exact_float.hpp"' not in lines:
        problems.append(f'{rel}: does not include qfence/core/exact_float.hpp')
    if code[-1] != 'QFENCE_EXACT_FLOAT_END' or lines.count('QFENCE_EXACT_FLOAT_END') != 1:
        problems.append(f'{rel}: QFENCE_EXACT_FLOAT_END must close the file, once')
for line in problems:
    print(line)
print(f'{len(problems)} problems' if problems else 'ok: every header keeps its code in an exact-float region')
sys.exit(1 if problems else 0)
