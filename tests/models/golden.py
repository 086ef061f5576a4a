#!/usr/bin/env python3
"""Golden test of one shared model: runs every input set of the model (the
seeded one at its root and each cases/<case>/) through a qfence path and
compares the outputs with the reference outputs.

usage: golden.py MODELS_DIR NAME [--agree-with QFENCE] [--every-target QFENCE] -- COMMAND...
  MODELS_DIR is ../shared/models, or ../shared/twins for a float twin: its
  first eval/ inputs against eval_out_float/, the reference interpreter's
  outputs, bit for bit (qfence's float kernels keep the reference's order
  of operations).
  COMMAND is `qfence run` (runtime path) or `scripts/embed-run` (compile-time
  path); it gets MODEL.tflite --in ... --out-dir DIR --numerics N appended.
  --agree-with QFENCE also runs `QFENCE run` on every input set and requires
  both paths' outputs to be identical bytes (docs/architecture.md).
  --every-target QFENCE runs COMMAND once per SIMD target this CPU runs
  (`QFENCE targets`), with `--target T` appended: every target must give the
  reference outputs.

Integer outputs must match bit for bit; float outputs within
1e-4 * max(1, max|ref|) (the float contract, docs/numerics.md). Exit 77 (meson: skipped) when the shared
models are not present.
"""
import json
import pathlib
import struct
import subprocess
import sys
import tempfile

SKIP = 77
FLOAT_FORMATS = {'float32': 'f', 'FLOAT32': 'f'}


TWIN_EVAL_CASES = 4


def input_sets(model_dir: pathlib.Path):
    """(case, [input files], [reference output files]) of a model."""
    meta = json.loads((model_dir / 'meta.json').read_text())
    if (model_dir / 'eval_out_float').is_dir():  # a float twin: one input, one output
        for k in range(min(TWIN_EVAL_CASES, meta['eval_count'])):
            yield f'eval/{k:04d}', [model_dir / 'eval' / f'{k:04d}.bin'], [model_dir / 'eval_out_float' / f'{k:04d}.bin']
        return
    ins = lambda folder: [folder / f'input{i}.bin' for i in range(len(meta['inputs']))]
    outs = lambda folder: [folder / f'output{i}.bin' for i in range(len(meta['outputs']))]
    yield 'seeded', ins(model_dir), outs(model_dir)
    cases = model_dir / 'cases'
    if cases.is_dir():
        for case in sorted(p for p in cases.iterdir() if p.is_dir()):
            yield case.name, ins(case), outs(case)


def compare(meta_out: dict, ref: bytes, got: bytes, exact: bool) -> str | None:
    if len(ref) != len(got):
        return f'{len(got)} bytes, reference has {len(ref)}'
    fmt = FLOAT_FORMATS.get(meta_out['dtype'])
    if fmt is None or exact:
        if ref == got:
            return None
        first = next(i for i in range(len(ref)) if ref[i] != got[i])
        count = sum(1 for i in range(len(ref)) if ref[i] != got[i])
        return f'{count} bytes differ, first at byte {first}'
    n = len(ref) // 4
    r = struct.unpack(f'<{n}f', ref)
    g = struct.unpack(f'<{n}f', got)
    tol = 1e-4 * max(1.0, max((abs(x) for x in r), default=0.0))
    worst = max((abs(a - b) for a, b in zip(r, g)), default=0.0)
    if worst != worst or worst > tol:  # NaN or beyond tolerance
        return f'max |diff| {worst:.3g} > tolerance {tol:.3g}'
    return None


def check_model(models: pathlib.Path, name: str, command: list, agree_with: str | None = None) -> int:
    """Runs every input set of model `name` through `command`; returns the
    number of failures (prints one line per output), or SKIP."""
    model_dir = models / name
    if not model_dir.is_dir():
        print(f'SKIPPED {name}: {model_dir} is not present (../shared/models missing)')
        return SKIP
    meta = json.loads((model_dir / 'meta.json').read_text())
    twin = 'reference' not in meta
    reference = 'the reference interpreter (eval_out_float)' if twin else meta['reference']
    numerics = 'tflite' if not twin and not meta['reference'].startswith('tflm') else 'tflm'
    failures = 0
    checked = 0
    for case, ins, outs in input_sets(model_dir):
        if not all(p.is_file() for p in ins + outs):
            print(f'{name}/{case}: incomplete case folder, not checked')
            failures += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            cmd = command + [str(model_dir / 'model.tflite')]
            for p in ins:
                cmd += ['--in', str(p)]
            cmd += ['--out-dir', tmp, '--numerics', numerics]
            run = subprocess.run(cmd, capture_output=True, text=True, errors='replace')
            if run.returncode != 0:
                print(f'FAIL {name}/{case}: exit {run.returncode}: {run.stderr.strip()[:2000]}')
                failures += 1
                continue
            other = pathlib.Path(tmp) / 'runtime'
            if agree_with:
                rt_cmd = [agree_with, 'run', str(model_dir / 'model.tflite')]
                for p in ins:
                    rt_cmd += ['--in', str(p)]
                rt_cmd += ['--out-dir', str(other), '--numerics', numerics]
                rt = subprocess.run(rt_cmd, capture_output=True, text=True, errors='replace')
                if rt.returncode != 0:
                    print(f'FAIL {name}/{case}: the runtime path failed: {rt.stderr.strip()}')
                    failures += 1
            for i, ref_path in enumerate(outs):
                got_path = pathlib.Path(tmp) / f'output{i}.bin'
                if not got_path.is_file():
                    print(f'FAIL {name}/{case}: output{i}.bin was not written')
                    failures += 1
                    continue
                if agree_with and (other / f'output{i}.bin').is_file() and \
                        (other / f'output{i}.bin').read_bytes() != got_path.read_bytes():
                    print(f'FAIL {name}/{case} output {i}: the compile-time and runtime paths differ')
                    failures += 1
                problem = compare(meta['outputs'][i], ref_path.read_bytes(), got_path.read_bytes(), twin)
                checked += 1
                if problem:
                    print(f'FAIL {name}/{case} output {i}: {problem}')
                    failures += 1
                else:
                    print(f'ok   {name}/{case} output {i}')
    print(f'{name}: {checked} outputs checked against {reference}, {failures} failures')
    return failures


def main() -> int:
    args = sys.argv[1:]
    if '--' not in args:
        print(__doc__, file=sys.stderr)
        return 2
    split = args.index('--')
    head, command = args[:split], args[split + 1:]
    agree_with = None
    if '--agree-with' in head:
        k = head.index('--agree-with')
        agree_with = head[k + 1]
        del head[k:k + 2]
    targets = [None]
    if '--every-target' in head:
        k = head.index('--every-target')
        listed = subprocess.run([head[k + 1], 'targets'], capture_output=True, text=True)
        del head[k:k + 2]
        if listed.returncode != 0 or not listed.stdout.split():
            print(f'FAIL: cannot list the SIMD targets: {listed.stderr.strip()}')
            return 1
        targets = listed.stdout.split()
    if len(head) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failures = 0
    for target in targets:
        if target is not None:
            print(f'-- target {target}')
        result = check_model(pathlib.Path(head[0]), head[1], command + (['--target', target] if target else []),
                             agree_with)
        if result == SKIP:
            return SKIP
        failures += result
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
