#!/usr/bin/env python3
"""Every op on both paths (issue #8): tests/models/write_op_matrix.cpp writes
one single-op model per (op, dtype variant) and per refused operation; this
script
  - runs each valid case with `qfence run` (runtime path) and through one
    program of all their generated headers (compile-time path), on the same
    seeded inputs, and requires the same output bytes;
  - requires each error case to be refused by `qfence run` and by
    `qfence embed` with the same one-line error, containing the text the
    generator expects.

usage: both_paths.py WRITE_OP_MATRIX QFENCE CXX WORK_DIR
"""
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import embedded_batch  # noqa: E402


def main() -> int:
    writer, qfence, cxx, work = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    cases_dir = work / 'op-matrix'
    subprocess.run([writer, str(cases_dir)], check=True, capture_output=True)
    cases = sorted(p for p in cases_dir.iterdir() if (p / 'model.tflite').is_file())
    valid = [c for c in cases if not (c / 'expect_error.txt').exists()]
    refused = [c for c in cases if (c / 'expect_error.txt').exists()]
    failures = []

    for c in refused:
        expected = (c / 'expect_error.txt').read_text()
        run = subprocess.run([qfence, 'run', str(c / 'model.tflite')], capture_output=True, text=True)
        embed = subprocess.run([qfence, 'embed', str(c / 'model.tflite'), '--name', 'x', '-o', str(work / 'x.hpp')],
                               capture_output=True, text=True)
        if run.returncode != 1 or expected not in run.stderr:
            failures.append(f'{c.name}: qfence run should fail with "{expected}", got ({run.returncode}) '
                            f'{run.stderr.strip()[:400]}')
        elif embed.returncode != 1 or embed.stderr != run.stderr:
            failures.append(f'{c.name}: qfence embed should report what run reports:\n  run:   {run.stderr.strip()}'
                            f'\n  embed: {embed.stderr.strip()}')

    batch = [(c.name, c / 'model.tflite', 'tflm') for c in valid]
    out = work / f'op-matrix-{embedded_batch.inputs_digest(qfence, cxx, [m for _, m, _ in batch])}'
    driver = embedded_batch.build_driver(out, batch, qfence, cxx)
    if driver is None:
        return 1
    for c in valid:
        rt_dir, ct_dir = out / 'runtime' / c.name, out / 'compile-time' / c.name
        run = subprocess.run([qfence, 'run', str(c / 'model.tflite'), '--out-dir', str(rt_dir)], capture_output=True,
                             text=True)
        if run.returncode != 0:
            failures.append(f'{c.name}: qfence run: {run.stderr.strip()[:400]}')
            continue
        emb = subprocess.run([str(driver), c.name, str(c / 'model.tflite'), '--out-dir', str(ct_dir)],
                             capture_output=True, text=True)
        if emb.returncode != 0:
            failures.append(f'{c.name}: compile-time driver: {emb.stderr.strip()[:400]}')
            continue
        outputs = sorted(p.name for p in rt_dir.glob('output*.bin'))
        if not outputs or outputs != sorted(p.name for p in ct_dir.glob('output*.bin')):
            failures.append(f'{c.name}: the paths wrote different output files')
            continue
        for name in outputs:
            a, b = (rt_dir / name).read_bytes(), (ct_dir / name).read_bytes()
            if a != b:
                first = next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if len(a) == len(b) else -1
                failures.append(f'{c.name}: {name} differs between the paths ({len(a)} vs {len(b)} bytes, '
                                f'first difference at byte {first})')

    for f in failures:
        print('FAIL', f)
    print(f'{len(valid)} cases on both paths, {len(refused)} refused by both; {len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
