#!/usr/bin/env python3
"""Where hello_world_int8's known gap comes from (issue #10; README,
"On the two float twins"): a measurement, not a test.

Its twin's 32 evaluation inputs lie on the original's int8 input grid, so
the original reads them without rounding; and 32 outputs of a one-in,
one-out network make a figure that rounding coincidences move by a
decibel. This script measures on many fresh inputs instead (x uniform in
[0, 2*pi], as meta.json says the data was made), off the grid and snapped
to it, for qfence's models calibrated on the twin's 64 samples and on a
larger calibration set of the same distribution.

usage: hello_world_fresh.py TWINS_DIR QFENCE [--samples N] [--seeds N]
"""
import argparse
import json
import math
import pathlib
import random
import struct
import subprocess
import tempfile


def run(*args):
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def outputs(qfence, model, data, fmt, count, tmp):
    """The model's outputs on `count` one-value samples (one process: the
    samples run as a --sequence)."""
    (tmp / 'in.bin').write_bytes(struct.pack(f'<{count}{fmt}', *data))
    run(qfence, 'run', model, '--in', tmp / 'in.bin', '--out-dir', tmp / 'out', '--sequence', count)
    return struct.unpack(f'<{count}{fmt}', (tmp / 'out' / 'output0.bin').read_bytes())


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('twins', type=pathlib.Path)
    ap.add_argument('qfence')
    ap.add_argument('--samples', type=int, default=20000)
    ap.add_argument('--seeds', type=int, default=2)
    a = ap.parse_args()
    twin = a.twins / 'hello_world_int8'
    meta = json.loads((twin / 'meta.json').read_text())
    i, o = meta['inputs'][0]['orig'], meta['outputs'][0]['orig']
    (s_in, z_in), (s_out, z_out) = (i['scale'][0], i['zero_point'][0]), (o['scale'][0], o['zero_point'][0])
    quantize = lambda x: max(-128, min(127, round_half_away(x / s_in) + z_in))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        big = tmp / 'calib4000'
        big.mkdir()
        rng = random.Random(99)
        for k in range(4000):
            (big / f'{k:05d}.bin').write_bytes(struct.pack('<f', rng.uniform(0, 2 * math.pi)))
        models = {}
        for calib, label in ((twin / 'calib', '64 samples'), (big, '4000 samples')):
            for c in ('minmax', 'mse', 'percentile'):
                models[f'{c}, {label}'] = tmp / f'{c}_{calib.name}.tflite'
                run(a.qfence, 'quantize', twin / 'model.tflite', '--calib', calib, '--calibrator', c, '-o',
                    models[f'{c}, {label}'])
        print(f'output SQNR against the twin on {a.samples} fresh inputs, x uniform in [0, 2 pi]; one column per seed')
        for grid in ('off the grid', 'on the original\'s input grid'):
            print(grid + ':')
            rows = {'the original': []} | {k: [] for k in models}
            for seed in range(a.seeds):
                rng = random.Random(1000 + seed)
                xs = [rng.uniform(0, 2 * math.pi) for _ in range(a.samples)]
                if grid != 'off the grid':
                    xs = [(quantize(x) - z_in) * s_in for x in xs]
                ref = outputs(a.qfence, twin / 'model.tflite', xs, 'f', a.samples, tmp)
                signal = sum(r * r for r in ref)
                sqnr = lambda got: 10 * math.log10(signal / sum((g - r) ** 2 for g, r in zip(got, ref)))
                raw = outputs(a.qfence, twin / 'quant.tflite', [quantize(x) for x in xs], 'b', a.samples, tmp)
                rows['the original'].append(sqnr([(v - z_out) * s_out for v in raw]))
                for k, m in models.items():
                    rows[k].append(sqnr(outputs(a.qfence, m, xs, 'f', a.samples, tmp)))
            for k, v in rows.items():
                print(f'  {k:26s}' + ''.join(f' {x:6.2f} dB' for x in v))


if __name__ == '__main__':
    main()
