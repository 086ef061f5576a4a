#!/usr/bin/env python3
"""`qfence inspect --json` of every shared model lists the ops (name/version
and count), inputs and outputs (dtype, shape, quantization) that the model's
meta.json lists. Exit 77 (skipped) without ../shared/models.

usage: inspect_check.py MODELS_DIR QFENCE
"""
import json
import math
import pathlib
import subprocess
import sys

DTYPES = {'float32': 'f32', 'int8': 'i8', 'uint8': 'u8', 'int16': 'i16', 'int32': 'i32', 'int64': 'i64',
          'bool': 'bool', 'float16': 'f16'}


def quant_of(meta_tensor):
    q = meta_tensor.get('quant') or meta_tensor
    return list(q.get('scale', []) or []), list(q.get('zero_point', []) or [])


def main():
    models, qfence = pathlib.Path(sys.argv[1]), sys.argv[2]
    if not models.is_dir():
        print(f'SKIPPED: {models} is not present')
        return 77
    failures = 0
    names = sorted(p.name for p in models.iterdir() if (p / 'meta.json').is_file())
    for name in names:
        meta = json.loads((models / name / 'meta.json').read_text())
        r = subprocess.run([qfence, 'inspect', '--json', str(models / name / 'model.tflite')], capture_output=True,
                           text=True, errors='replace')
        problems = []
        if r.returncode != 0:
            problems.append(f'exit {r.returncode}: {r.stderr.strip()}')
        else:
            info = json.loads(r.stdout)
            if info['ops'] != meta['ops']:
                problems.append(f'ops {info["ops"]} != meta {meta["ops"]}')
            if info['unsupported_ops']:
                problems.append(f'unsupported ops {info["unsupported_ops"]}')
            for kind in ('inputs', 'outputs'):
                if len(info[kind]) != len(meta[kind]):
                    problems.append(f'{len(info[kind])} {kind}, meta has {len(meta[kind])}')
                    continue
                for i, (got, want) in enumerate(zip(info[kind], meta[kind])):
                    if got['dtype'] != DTYPES[want['dtype'].lower()] or got['shape'] != want['shape']:
                        problems.append(f'{kind}[{i}] {got["dtype"]}{got["shape"]} != {want["dtype"]}{want["shape"]}')
                    scales, zps = quant_of(want)
                    q = got.get('quantization', {'scale': [], 'zero_point': []})
                    if len(q['scale']) != len(scales) or any(
                            not math.isclose(a, b, rel_tol=1e-6) for a, b in zip(q['scale'], scales)) or \
                            q['zero_point'] != zps:
                        problems.append(f'{kind}[{i}] quantization {q} != scale {scales} zero point {zps}')
            # Only PADs fold, each into the one layer it feeds (runtime/fold_pad.hpp).
            ops_by_index = {n['index']: n['op'] for n in info['nodes']}
            not_pads = [i for i in info.get('folded_pads', []) if ops_by_index.get(i) != 'PAD']
            if not_pads:
                problems.append(f'folded nodes that are not PADs: {not_pads}')
        for p in problems:
            print(f'FAIL {name}: {p}')
        failures += bool(problems)
        if not problems:
            folded = len(info.get('folded_pads', []))
            print(f'ok   {name}' + (f' ({folded} PADs folded)' if folded else ''))
    print(f'{len(names)} models inspected, {failures} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
