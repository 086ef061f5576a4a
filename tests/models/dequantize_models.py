#!/usr/bin/env python3
"""qfence dequantize, then quantize, calibrate and debug on the float twins
it makes, for every model of ../shared/models (issue #10's "done when").

Per model:
  1. dequantize MODEL -> TWIN; TWIN must run in qfence (or the op that
     keeps it from running is listed below as known);
  2. TWIN on the model's input (dequantized to float) against the quantized
     model's output (dequantized): how far int8 is from its float twin;
  3. quantize TWIN --calib-from-model (the twin carries the original's int8
     ranges as min/max statistics) -> REQ, which must be close to the
     original: output SQNR against the original's output at least MIN_DB;
  4. calibrate TWIN on that one sample, and debug TWIN against REQ: both
     must succeed, and debug's output SQNR must be REQ's against TWIN;
  5. quantize TWIN --scheme float16 -> F16, which must halve the float
     constants' bytes and stay within F16_MIN_DB of TWIN's output;
  6. quantize TWIN --scheme dynamic --min-elements 1 -> DYN (every
     FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D hybrid), which must run and stay within
     DYN_MIN_DB of TWIN's output;
  7. quantize TWIN --scheme int16x8 on the one sample -> I16 (ops without
     an int16x8 kernel fenced), which must run and stay within I16_MIN_DB
     of TWIN's output on that sample.

usage: dequantize_models.py MODELS_DIR QFENCE [NAME...]
"""
import json
import math
import pathlib
import re
import struct
import subprocess
import sys
import tempfile

MIN_DB = 25.0
# float16 keeps 11 significant bits of every weight and computes in float.
# On the seeded noise inputs deep models amplify the rounding (measured:
# 32.9 dB on traffic_backbone's 30 layers, 34.7 on movenet, 64-76 on the
# small ones), so the floor is 30 dB; and float16 must be closer to the twin
# than the int8 original is, unless both are closer than F16_CLOSE_DB (then
# the comparison is noise: hello_world_int8's original is 72.8 dB from its
# twin on its own input grid).
F16_MIN_DB = 30.0
F16_CLOSE_DB = 60.0
# Dynamic range: int8 weights and inputs quantized per batch at run time.
# Here the inputs are the seeded noise of each model, not data it was made
# for, and every FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D is hybrid (even the first layer,
# which TFLite's threshold would leave float): the deep ones lose much on
# noise (measured: movenet 22 dB, mobilenet_v1 19, traffic_backbone 14;
# their int8 originals 18, 24 and 0). The check is that every model runs
# and stays recognisably the same function; accuracy is judged on real
# data, on the twins (quantize_twins.py).
DYN_MIN_DB = 10.0
# int16x8, calibrated on the one sample it is then run on (so no range
# clips): int16 activations, int8 weights; what it loses is mostly the
# weights' rounding. Measured: mobilenet_v1_0.25_128 41.05 dB (int8
# original 24.21), the seanet convolutions 48-51, every other model 69-105;
# a broken op or scheme falls far below the floor.
I16_MIN_DB = 35.0
# Models whose float twin qfence cannot run yet, and why (none since the
# float SVDF: keyword_scrambled's twin runs, as in TFLM, byte for byte).
KNOWN: dict[str, str] = {}
# Legacy uint8 models: their weights are asymmetric per tensor, a grid
# int8's symmetric per-channel weights do not contain, so requantizing the
# twin adds a weight rounding error the original does not have (TFLite's
# quantizer would add the same); over 30 layers on noise inputs that costs
# ~10 dB. The floor for them is lower, and still checked.
LEGACY_UINT8_MIN_DB = 10.0
LEGACY_UINT8 = {'mobilenet_v1_0.25_128_quant', 'traffic_backbone'}
# Models whose float twin is not close to the original, and why.
NOT_CLOSE = {
    'seanet_quantize0': 'the model is one int16 -> int8 requantization: its float twin is the identity, while the '
                        'original saturates the seeded inputs, which span all of int16',
}
FORMATS = {'int8': 'b', 'uint8': 'B', 'int16': 'h', 'float32': 'f', 'int32': 'i', 'int64': 'q'}


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'{" ".join(map(str, args[:3]))}...: exit {r.returncode}: {r.stderr.strip()[-400:]}')
    return r.stdout, r.stderr


def quantization(spec):
    """(scale, zero point) of a meta.json tensor (two layouts exist), or None."""
    q = spec.get('quant') or spec
    return (q['scale'][0], q['zero_point'][0]) if q.get('scale') else None


def real(raw, spec):
    f = FORMATS[spec['dtype'].lower()]
    values = struct.unpack(f'<{len(raw) // struct.calcsize(f)}{f}', raw)
    if spec['dtype'].lower() == 'float32' or not quantization(spec):
        return [float(v) for v in values]
    s, z = quantization(spec)
    return [(v - z) * s for v in values]


def db(x):
    """An SQNR as the report prints it; n/a where only indices were compared (NaN)."""
    return '   n/a' if math.isnan(x) else f'{x:6.2f}'


def sqnr(ref, got):
    noise = sum((a - b) ** 2 for a, b in zip(ref, got))
    return math.inf if noise == 0 else 10 * math.log10(max(sum(a * a for a in ref), 1e-30) / noise)


def check_model(qfence, folder, tmp):
    meta = json.loads((folder / 'meta.json').read_text())
    model = folder / 'model.tflite'
    twin, req = tmp / 'twin.tflite', tmp / 'req.tflite'
    out, err = run(qfence, 'dequantize', model, '-o', twin)
    if folder.name in KNOWN:
        if 'cannot run' not in err:
            return f'expected the twin not to run ({KNOWN[folder.name]}), but dequantize said: {out.strip()} {err.strip()}'
        return f'known: the twin needs {KNOWN[folder.name]}'
    # A float model (hello_world_float: nothing to dequantize) is copied,
    # with one warning that says so; any other warning fails.
    counts = re.search(r'dequantized (\d+) constants and (\d+) activations, removed (\d+)', out)
    if not counts:
        return f'FAIL dequantize printed no counts: {out.strip()}'
    float_model = all(int(n) == 0 for n in counts.groups())
    said_float = [line for line in err.strip().splitlines() if 'holds no quantized tensors: it is float already' in line]
    if float_model and len(said_float) != 1:
        return f'dequantize warned: dequantize of a float model did not say it is float: {err.strip()}'
    if len(err.strip().splitlines()) != len(said_float) or (said_float and not float_model):
        return f'dequantize warned: {err.strip()}'
    # Float inputs: the model's inputs, dequantized.
    calib = tmp / 'calib'
    calib.mkdir(exist_ok=True)
    ins = []
    for i, spec in enumerate(meta['inputs']):
        raw = (folder / f'input{i}.bin').read_bytes()
        path = tmp / f'in{i}.bin'
        if quantization(spec):  # the twin reads the real values
            values = real(raw, spec)
            path.write_bytes(struct.pack(f'<{len(values)}f', *values))
        else:  # float, or integer data the twin reads as it is (shapes, raw pixels)
            path.write_bytes(raw)
        ins += ['--in', path]
        if len(meta['inputs']) == 1:
            (calib / '0000.bin').write_bytes(path.read_bytes())
        else:
            (calib / f'input{i}').mkdir(exist_ok=True)
            (calib / f'input{i}' / '0000.bin').write_bytes(path.read_bytes())
    run(qfence, 'run', twin, *ins, '--out-dir', tmp / 'twin_out')
    # Outputs that are indices (ARG_MAX: integers without a scale) are
    # compared by agreement; the others by SQNR.
    specs = meta['outputs']
    is_index = [s['dtype'].lower() in ('int32', 'int64') and not quantization(s) for s in specs]
    original = [real((folder / f'output{k}.bin').read_bytes(), spec) for k, spec in enumerate(specs)]
    as_float = lambda k: {'dtype': specs[k]['dtype'] if is_index[k] else 'float32'}
    twin_out = [real((tmp / 'twin_out' / f'output{k}.bin').read_bytes(), as_float(k)) for k in range(len(specs))]
    # A float original carries no ranges: calibrate on its one sample instead.
    try:
        run(qfence, 'quantize', twin, '--calib-from-model', '-o', req)
    except RuntimeError as e:
        if 'carry no min/max statistics' not in str(e):
            raise
        run(qfence, 'quantize', twin, '--calib', calib, '-o', req)
    run(qfence, 'run', req, *ins, '--out-dir', tmp / 'req_out')
    req_out = [real((tmp / 'req_out' / f'output{k}.bin').read_bytes(), as_float(k)) for k in range(len(specs))]
    agreement = lambda a, b: sum(x == y for x, y in zip(a, b)) / max(len(a), 1)
    twin_db = min((sqnr(t, o) for k, (t, o) in enumerate(zip(twin_out, original)) if not is_index[k]), default=math.nan)
    req_db = min((sqnr(o, r) for k, (o, r) in enumerate(zip(original, req_out)) if not is_index[k]), default=math.nan)
    req_agree = min((agreement(o, r) for k, (o, r) in enumerate(zip(original, req_out)) if is_index[k]), default=1.0)
    run(qfence, 'calibrate', twin, '--calib', calib, '--json')
    report = json.loads(run(qfence, 'debug', twin, req, *ins, '--json')[0])
    twin_vs_req = sqnr([v for o in twin_out for v in o], [v for o in req_out for v in o])
    f16 = tmp / 'f16.tflite'
    f16_said = run(qfence, 'quantize', twin, '--scheme', 'float16', '-o', f16)[0]
    run(qfence, 'run', f16, *ins, '--out-dir', tmp / 'f16_out')
    f16_out = [real((tmp / 'f16_out' / f'output{k}.bin').read_bytes(), as_float(k)) for k in range(len(specs))]
    f16_db = min((sqnr(t, h) for k, (t, h) in enumerate(zip(twin_out, f16_out)) if not is_index[k]), default=math.nan)
    f16_agree = min((agreement(t, h) for k, (t, h) in enumerate(zip(twin_out, f16_out)) if is_index[k]), default=1.0)
    sizes = re.search(r'\(([0-9.]+) KiB -> ([0-9.]+) KiB\)', f16_said)
    dyn = tmp / 'dyn.tflite'
    dyn_said = run(qfence, 'quantize', twin, '--scheme', 'dynamic', '--min-elements', '1', '-o', dyn)[0]
    dyn_layers = int(re.search(r': (\d+) layers with int8 weights', dyn_said).group(1))
    run(qfence, 'run', dyn, *ins, '--out-dir', tmp / 'dyn_out')
    dyn_out = [real((tmp / 'dyn_out' / f'output{k}.bin').read_bytes(), as_float(k)) for k in range(len(specs))]
    dyn_db = min((sqnr(t, h) for k, (t, h) in enumerate(zip(twin_out, dyn_out)) if not is_index[k]), default=math.nan)
    dyn_agree = min((agreement(t, h) for k, (t, h) in enumerate(zip(twin_out, dyn_out)) if is_index[k]), default=1.0)
    i16 = tmp / 'i16.tflite'
    i16_said = run(qfence, 'quantize', twin, '--calib', calib, '--scheme', 'int16x8', '--calibrator', 'minmax', '-o', i16)[0]
    i16_fences = i16_said.count('fence: ')
    run(qfence, 'run', i16, *ins, '--out-dir', tmp / 'i16_out')
    i16_out = [real((tmp / 'i16_out' / f'output{k}.bin').read_bytes(), as_float(k)) for k in range(len(specs))]
    i16_db = min((sqnr(t, h) for k, (t, h) in enumerate(zip(twin_out, i16_out)) if not is_index[k]), default=math.nan)
    i16_agree = min((agreement(t, h) for k, (t, h) in enumerate(zip(twin_out, i16_out)) if is_index[k]), default=1.0)
    line = (f'int8 vs twin {db(twin_db)} dB, requantized vs original {db(req_db)} dB'
            + (f' (indices agree {100 * req_agree:.1f} %)' if any(is_index) else '')
            + f', debug output {report.get("output_sqnr_db", math.inf):6.2f} dB'
            + f', float16 vs twin {db(f16_db)} dB'
            + (f', dynamic ({dyn_layers} hybrid) vs twin {db(dyn_db)} dB' if dyn_layers else '')
            + f', int16x8 ({i16_fences} fences) vs twin {db(i16_db)} dB'
            + (f' (indices agree with the twin\'s: float16 {100 * f16_agree:.1f} %, dynamic {100 * dyn_agree:.1f} %, '
               f'int16x8 {100 * i16_agree:.1f} %)' if any(is_index) else ''))
    problems = []
    if f16_db < F16_MIN_DB or f16_agree < 1.0 or (f16_db <= twin_db and f16_db < F16_CLOSE_DB):
        problems.append(f'the float16 model is {f16_db:.2f} dB from the twin (at least {F16_MIN_DB}, and more than the '
                        f'int8 original\'s {twin_db:.2f}), indices agree {100 * f16_agree:.1f} %')
    if not sizes or float(sizes.group(2)) > float(sizes.group(1)) / 2 + 0.1:
        problems.append(f'float16 did not halve the constants: {f16_said.strip()}')
    if dyn_layers and (dyn_db < DYN_MIN_DB or dyn_agree < 0.9):
        problems.append(f'the dynamic-range model is {dyn_db:.2f} dB from the twin (at least {DYN_MIN_DB}), indices '
                        f'agree {100 * dyn_agree:.1f} %')
    if folder.name in LEGACY_UINT8:
        # The legacy model's twin is not the float function its original
        # approximates: activations the original clamps through its int8
        # ranges reach +-1e10 in the twin (int8 vs twin: 0 dB), and one
        # int16 scale per tensor calibrated on them cannot hold both ends.
        line += f'; int16x8 not judged on this twin'
    elif i16_db < I16_MIN_DB or i16_agree < 0.9:
        problems.append(f'the int16x8 model is {i16_db:.2f} dB from the twin (at least {I16_MIN_DB}), indices '
                        f'agree {100 * i16_agree:.1f} %')
    if req_agree < 0.9:
        problems.append(f'the requantized twin\'s indices agree with the original\'s on {100 * req_agree:.1f} %')
    if folder.name in NOT_CLOSE:
        return line + f'; known: {NOT_CLOSE[folder.name]}'
    floor = LEGACY_UINT8_MIN_DB if folder.name in LEGACY_UINT8 else MIN_DB
    if req_db < floor:
        problems.append(f'the requantized twin is {req_db:.2f} dB from the original (at least {floor} expected)')
    elif folder.name in LEGACY_UINT8:
        line += f'; legacy uint8 weights: floor {floor} dB'
    # (With an index output, debug measures the scores the index is taken
    # from, which the runs here do not show.)
    if not any(is_index) and abs(report.get('output_sqnr_db', math.inf) - twin_vs_req) > 0.01 and not math.isinf(twin_vs_req):
        problems.append(f'debug says {report.get("output_sqnr_db")} dB at the output, the runs {twin_vs_req:.2f}')
    return line + ''.join('; FAIL ' + p for p in problems)


def main():
    models, qfence = pathlib.Path(sys.argv[1]), sys.argv[2]
    names = sys.argv[3:]
    if not models.is_dir():
        print(f'skipped: {models} is absent')
        return 77
    failures = 0
    folders = [f for f in sorted(models.iterdir()) if (f / 'meta.json').exists() and (not names or f.name in names)]
    for folder in folders:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                line = check_model(qfence, folder, pathlib.Path(tmp))
            except RuntimeError as e:
                line = f'FAIL {e}'
        failures += 'FAIL' in line or line.startswith('expected') or line.startswith('dequantize warned')
        print(f'{folder.name:40s} {line}')
    print(f'{len(folders) - failures} of {len(folders)} models pass')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
