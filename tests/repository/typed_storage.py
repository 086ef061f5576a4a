#!/usr/bin/env python3
"""Arena bytes become typed pointers in one place only.

docs/architecture.md ("Arena memory") decides how tensors of different types
share arena bytes without -fno-strict-aliasing: the writer of a tensor begins
an array of its element type there (placement new, no code), readers reach
it through std::launder. Both live in include/qfence/core/typed_storage.hpp.
This test fails when a reinterpret_cast elsewhere could turn arena bytes into
a typed pointer behind that header's back:
  - a cast to a non-const pointer type other than char* (byte I/O), or
  - a cast of an expression that names arena memory (address, arena,
    memory, storage), whatever its target.
Casts of constant data (weights in the model file) to const pointers stay
allowed: nothing writes those bytes.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')
allowed_files = {'include/qfence/core/typed_storage.hpp', 'include/qfence/tflite/schema_generated.hpp',
                 'include/qfence/tflite/support_metadata_generated.hpp'}
cast = re.compile(r'reinterpret_cast<\s*([^>]*?)\s*>\s*\(([^;]*)')
arena_words = re.compile(r'\b(address|arena|memory|storage)\b')

problems = []
for path in sorted(list(root.glob('include/**/*.hpp')) + list(root.glob('tools/**/*.[ch]pp'))):
    rel = path.relative_to(root).as_posix()
    if rel in allowed_files:
        continue
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for m in cast.finditer(line):
            target, source = m.group(1), m.group(2)
            if not target.endswith('*'):
                continue  # e.g. std::uintptr_t: an address as a number, not an object
            non_const = not target.startswith('const ')
            if (non_const and target not in ('char*', 'unsigned char*')) or arena_words.search(source):
                problems.append(f'{rel}:{number}: {line.strip()}')

if problems:
    print('reinterpret_cast of what may be arena bytes outside core/typed_storage.hpp '
          '(use detail::begin_lifetime / detail::object_at):')
    print('\n'.join(problems))
    sys.exit(1)
print('ok: arena bytes become typed pointers only in core/typed_storage.hpp')
