#!/usr/bin/env python3
"""Every op on both paths (issue #8): tests/models/write_op_matrix.cpp writes
one single-op model per (op, dtype variant) and per refused operation; this
script
  - runs each valid case with `qfence run` (runtime path) and through one
    program of all their generated headers (compile-time path), on the same
    seeded inputs, and requires the same output bytes;
  - requires each error case to be refused by `qfence run` and by
    `qfence embed` with the same one-line error, containing the text the
    generator expects;
  - requires the runtime path's bytes to be TFLM's where TFLM runs the case
    (tests/data/op_matrix_tflm.txt, made by TFLM's own interpreter outside the
    repository: docs/numerics.md, "Goldens from TFLM"), and TFLite's where
    only TFLite runs it and its reference code's bytes are recorded
    (tests/data/op_matrix_tflite.txt: "Goldens from TFLite");
  - requires `qfence ops` (runtime/op_table.hpp) to list exactly the dtypes
    the cases run, on both paths and in TFLM.
A streaming case (sequence.txt: N) runs as N invokes in a row on both paths
(`--sequence N`): the outputs of the invokes that completed, and which ones
ended early (invokes.txt), must agree between the paths and with TFLM. A
runtime-only case (runtime_only.txt: control flow, resource variables) runs
on the runtime path against TFLM, and `qfence embed` must refuse it with
that text.

usage: both_paths.py WRITE_OP_MATRIX QFENCE CXX WORK_DIR
"""
import hashlib
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import embedded_batch  # noqa: E402


DATA = pathlib.Path(__file__).resolve().parents[1] / 'data'
TFLM_GOLDENS = DATA / 'op_matrix_tflm.txt'
TFLITE_GOLDENS = DATA / 'op_matrix_tflite.txt'


def load_goldens(path):
    """case -> {'model': digest, 'refused': message, 'output<i>': bytes}."""
    cases = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith('#'):
            continue
        case, key, value = (line.split(' ', 2) + [''])[:3]
        cases.setdefault(case, {})[key] = value if key in ('model', 'refused', 'invokes') else bytes.fromhex(value)
    return cases


def check_golden(case, model, rt_dir, goldens, path, who, failures):
    """'same' / 'refused' / 'none' against one reference's goldens; a mismatch
    is appended to failures."""
    g = goldens.get(case)
    if g is None:
        return 'none'
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    if g['model'] != digest:
        failures.append(f'{case}: write_op_matrix now writes another model than {who}\'s goldens were made from '
                        f'({digest}, goldens {g["model"]}): regenerate {path.name} (docs/numerics.md, "Goldens from '
                        f'{who}")')
        return 'none'
    if 'refused' in g:
        return 'refused'
    if 'invokes' in g:
        statuses = rt_dir / 'invokes.txt'
        got = ','.join(statuses.read_text().split()) if statuses.exists() else '(none)'
        if got != g['invokes']:
            failures.append(f'{case}: the invokes that completed or ended early differ from {who}\'s:\n  qfence: {got}'
                            f'\n  {who}: {g["invokes"]}')
            return 'none'
    for key, want in g.items():
        if key.startswith('output'):
            out = rt_dir / f'{key}.bin'
            got = out.read_bytes() if out.exists() else b''
            if got != want:
                first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
                failures.append(f'{case}: {key} differs from {who}\'s ({len(got)} vs {len(want)} bytes, first difference '
                                f'at byte {first}: {got[first:first + 8].hex()} vs {who} {want[first:first + 8].hex()})')
                return 'none'
    return 'same'


# The op matrix names cases <op>_<variant words>_<dtype>...: the op by its
# builtin name in lower case, or by these prefixes.
CASE_PREFIXES = {'conv_2d': ['conv2d'], 'depthwise_conv_2d': ['depthwise'], 'average_pool_2d': ['average_pool'],
                 'max_pool_2d': ['max_pool'], 'l2_pool_2d': ['l2_pool'], 'resize_nearest_neighbor': ['resize_nearest'],
                 'quantize': ['quantize', 'requantize'], 'signalwindow': ['signal_window'],
                 'signalfftautoscale': ['signal_fft_auto_scale'], 'signalenergy': ['signal_energy'],
                 'signalfilterbank': ['signal_filter_bank'], 'signalfilterbanklog': ['signal_filter_bank_log'],
                 'signalfilterbanksquareroot': ['signal_filter_bank_square_root'],
                 'signalfilterbankspectralsubtraction': ['signal_spectral_subtraction'], 'signalpcan': ['signal_pcan'],
                 'signalrfft': ['signal_rfft'], 'signalirfft': ['signal_irfft'],
                 'signaldelay': ['signal_delay'], 'signalframer': ['signal_framer'],
                 'signalstacker': ['signal_stacker'], 'signaloverlapadd': ['signal_overlap_add']}
CASE_DTYPES = ('f32', 'i8', 'u8', 'i16', 'u32', 'u64', 'i32', 'i64', 'bool')


def check_op_table(qfence, valid, ran_in_tflm, runtime_only, covers, failures):
    """`qfence ops --json` (runtime/op_table.hpp) against the op matrix: each
    op's qfence dtypes are exactly those of its cases that run on both paths,
    its TFLM dtypes exactly those of the cases TFLM's interpreter ran."""
    import json
    table = json.loads(subprocess.run([qfence, 'ops', '--json'], capture_output=True, text=True, check=True).stdout)
    rows = {r['op']: r for r in table['ops']}
    prefixes = {}
    for name in rows:
        for prefix in CASE_PREFIXES.get(name.lower(), [name.lower()]):
            prefixes[prefix] = name
    tested, ran = {}, {}
    for case in valid:
        prefix = max((p for p in prefixes if case == p or case.startswith(p + '_')), key=len, default=None)
        dtype = next((t for t in case[len(prefix or ''):].split('_') if t in CASE_DTYPES), None) if prefix else None
        if dtype is None:
            failures.append(f'{case}: the op table cannot tell its op and dtype (name it <op>_..._<dtype>)')
            continue
        for op in [prefixes[prefix]] + covers.get(case, []):
            tested.setdefault(op, set()).add(dtype)
            if case in ran_in_tflm:
                ran.setdefault(op, set()).add(dtype)
            want = 'runtime' if case in runtime_only else 'both'
            if op in rows and rows[op]['paths'] != want:
                failures.append(f'op table, {op}: listed as running on {rows[op]["paths"]} path(s), but case {case} '
                                f'runs on {want} (runtime/op_table.hpp)')
    for name, r in rows.items():
        listed, tflm = set(r['qfence']), set(r['tflm'])
        if listed != tested.get(name, set()):
            failures.append(f'op table, {name}: qfence lists {sorted(listed)}, the op matrix runs '
                            f'{sorted(tested.get(name, set()))} (runtime/op_table.hpp)')
        if tflm != ran.get(name, set()):
            failures.append(f'op table, {name}: TFLM column lists {sorted(tflm)}, TFLM ran {sorted(ran.get(name, set()))} '
                            f'in the op matrix (runtime/op_table.hpp)')
    return table


def main() -> int:
    writer, qfence, cxx, work = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    cases_dir = work / 'op-matrix'
    subprocess.run([writer, str(cases_dir)], check=True, capture_output=True)
    cases = sorted(p for p in cases_dir.iterdir() if (p / 'model.tflite').is_file())
    valid = [c for c in cases if not (c / 'expect_error.txt').exists()]
    refused = [c for c in cases if (c / 'expect_error.txt').exists()]
    runtime_only = {c.name: (c / 'runtime_only.txt').read_text() for c in valid if (c / 'runtime_only.txt').exists()}
    covers = {c.name: (c / 'covers.txt').read_text().split() for c in valid if (c / 'covers.txt').exists()}
    failures = []
    goldens, tflite_goldens = load_goldens(TFLM_GOLDENS), load_goldens(TFLITE_GOLDENS)
    tflm = {'same': 0, 'refused': 0, 'none': 0}
    tflite = {'same': 0, 'refused': 0, 'none': 0}
    ran_in_tflm = set()

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

    for c in valid:
        if c.name not in runtime_only:
            continue
        embed = subprocess.run([qfence, 'embed', str(c / 'model.tflite'), '--name', 'x', '-o', str(work / 'x.hpp')],
                               capture_output=True, text=True)
        if embed.returncode != 1 or runtime_only[c.name] not in embed.stderr:
            failures.append(f'{c.name}: qfence embed should refuse it with "{runtime_only[c.name]}", got '
                            f'({embed.returncode}) {embed.stderr.strip()[:400]}')

    batch = [(c.name, c / 'model.tflite', 'tflm') for c in valid if c.name not in runtime_only]
    out = work / f'op-matrix-{embedded_batch.inputs_digest(qfence, cxx, [m for _, m, _ in batch])}'
    # -O0: the verdict is the agreement of the two paths on single-op models
    # (exact float regions, integer kernels), not the optimizer's; the
    # embedded goldens build real models at -O2. The program of every op's
    # header was the longest test of each compiler's suite at -O2; GCC 12
    # compiles it in 80 s at -O0 against 115 at -O1 (side by side), and its
    # single-op models run as fast either way.
    driver = embedded_batch.build_driver(out, batch, qfence, cxx, optimization='-O0')
    if driver is None:
        return 1
    for c in valid:
        rt_dir, ct_dir = out / 'runtime' / c.name, out / 'compile-time' / c.name
        seq = c / 'sequence.txt'
        stream = ['--sequence', seq.read_text().strip()] if seq.exists() else []
        run = subprocess.run([qfence, 'run', str(c / 'model.tflite'), '--out-dir', str(rt_dir)] + stream,
                             capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f'{c.name}: qfence run: {run.stderr.strip()[:400]}')
            continue
        verdict = check_golden(c.name, c / 'model.tflite', rt_dir, goldens, TFLM_GOLDENS, 'TFLM', failures)
        tflm[verdict] += 1
        if verdict == 'same':
            ran_in_tflm.add(c.name)
        if verdict == 'refused':  # an op or dtype only TFLite has: its reference code's bytes, where recorded
            tflite[check_golden(c.name, c / 'model.tflite', rt_dir, tflite_goldens, TFLITE_GOLDENS, 'TFLite',
                                failures)] += 1
        if c.name in runtime_only:
            continue
        emb = subprocess.run([str(driver), c.name, str(c / 'model.tflite'), '--out-dir', str(ct_dir)] + stream,
                             capture_output=True, text=True)
        if emb.returncode != 0:
            failures.append(f'{c.name}: compile-time driver: {emb.stderr.strip()[:400]}')
            continue
        outputs = sorted(p.name for p in rt_dir.glob('output*.bin')) + (['invokes.txt'] if stream else [])
        if not outputs or outputs != sorted(p.name for p in ct_dir.glob('output*.bin')) + (
                ['invokes.txt'] if (ct_dir / 'invokes.txt').exists() else []):
            failures.append(f'{c.name}: the paths wrote different output files')
            continue
        for name in outputs:
            a, b = (rt_dir / name).read_bytes(), (ct_dir / name).read_bytes()
            if a != b:
                first = next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if len(a) == len(b) else -1
                failures.append(f'{c.name}: {name} differs between the paths ({len(a)} vs {len(b)} bytes, '
                                f'first difference at byte {first})')

    table = check_op_table(qfence, [c.name for c in valid], ran_in_tflm, runtime_only, covers, failures)
    for f in failures:
        print('FAIL', f)
    print(f'{len(valid) - len(runtime_only)} cases on both paths, {len(runtime_only)} on the runtime path only, '
          f'{len(refused)} refused by both; TFLM\'s bytes on {tflm["same"]} '
          f'(TFLM refuses {tflm["refused"]}: TFLite-only ops and dtypes, TFLite\'s reference bytes on '
          f'{tflite["same"]} of them; {tflm["none"]} without a TFLM golden); op table: qfence runs '
          f'{table["tflm_ops"] - table["tflm_ops_missing"]} of TFLM\'s {table["tflm_ops"]} ops; {len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
