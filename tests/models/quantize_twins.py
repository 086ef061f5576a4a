#!/usr/bin/env python3
"""qfence quantize on the float twins of ../shared/twins, judged as issue #10
asks: output SQNR against the twin's float outputs on the evaluation set,
and top-1 agreement, at least the original TFLite-quantized model's
(meta.json: quant_vs_twin). The quantized model runs on qfence's runtime
path; it must also read back and run (the writer's contract).

usage: quantize_twins.py TWINS_DIR NAME QFENCE [--calibrator NAME]... [--known-gap DB]
Prints one line per calibrator (and for --calibrator auto, qfence's default)
and exits 1 when the best misses the target (or any run fails). Without
TWINS_DIR/NAME it says so and exits 77 (skip).

--known-gap DB: a miss of at most DB is recorded as known (printed as such,
not a failure); the note of issue #10 explains each one. A larger miss
fails, and so does meeting the target, so that the known gap is removed.
"""
import json
import math
import os
import pathlib
import re
import struct
import subprocess
import sys
import tempfile


F16_MARGIN_DB = 10.0
DYN_MARGIN_DB = 2.0
I16_MARGIN_DB = 5.0
IMAGES_MARGIN_DB = 3.0
EMBED_RUN = pathlib.Path(__file__).resolve().parents[2] / 'scripts' / 'embed-run'


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'{" ".join(map(str, args))}: exit {r.returncode}: {r.stderr.strip()[-500:]}')
    return r.stdout


def floats_of(data):
    return struct.unpack(f'<{len(data) // 4}f', data)


def floats(path):
    return floats_of(pathlib.Path(path).read_bytes())


def run_samples(qfence, model, inputs):
    """Output 0's bytes of `model` on each of `inputs` (each one sample's
    bytes), in one process: a sequence of invokes on the samples back to back.
    The twins hold no state, so each invoke is the run of its sample alone
    (main() checks it: the dequantized original's sequence gives the
    reference interpreter's outputs, bit for bit); one process per sample
    was most of this test's time."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / 'in.bin').write_bytes(b''.join(inputs))
        run(qfence, 'run', model, '--in', tmp / 'in.bin', '--sequence', len(inputs), '--out-dir', tmp / 'out')
        raw = (tmp / 'out' / 'output0.bin').read_bytes()
    size = len(raw) // len(inputs)
    return [raw[k * size:(k + 1) * size] for k in range(len(inputs))]


def evaluate(qfence, model, twin):
    """SQNR (dB) and top-1 agreement of `model` against the twin's float outputs."""
    meta = json.loads((twin / 'meta.json').read_text())
    signal = noise = 0.0
    agree = rows = 0
    per_row = meta['outputs'][0]['shape'][-1]
    samples = sorted((twin / 'eval').glob('*.bin'))
    for sample, output in zip(samples, run_samples(qfence, model, [s.read_bytes() for s in samples])):
        got = floats_of(output)
        ref = floats(twin / 'eval_out_float' / sample.name)
        signal += sum(r * r for r in ref)
        noise += sum((g - r) ** 2 for g, r in zip(got, ref))
        for k in range(0, len(ref), per_row):
            a, b = got[k:k + per_row], ref[k:k + per_row]
            agree += a.index(max(a)) == b.index(max(b))
            rows += 1
    sqnr = math.inf if noise == 0 else 10 * math.log10(signal / noise)
    return sqnr, agree / rows


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def evaluate_on_calibration(qfence, model, twin, int8_input=None):
    """SQNR of `model` against the float twin run by qfence on the calibration
    samples (no reference outputs ship for them). int8_input = (scale, zero
    point): the model reads int8, so the samples are quantized as TFLite's
    QUANTIZE would."""
    inputs = [s.read_bytes() for s in sorted((twin / 'calib').glob('*.bin'))]
    feeds = inputs
    if int8_input:
        scale, zero = int8_input
        feeds = [struct.pack(f'<{len(f) // 4}b', *[max(-128, min(127, round_half_away(x / scale) + zero))
                                                    for x in floats_of(f)]) for f in inputs]
        o = json.loads((twin / 'meta.json').read_text())['outputs'][0]['orig']
    refs = run_samples(qfence, twin / 'model.tflite', inputs)
    signal = noise = 0.0
    for ref_bytes, raw in zip(refs, run_samples(qfence, model, feeds)):
        ref = floats_of(ref_bytes)
        if int8_input:
            got = [(v - o['zero_point'][0]) * o['scale'][0] for v in struct.unpack(f'<{len(raw)}b', raw)]
        else:
            got = floats_of(raw)
        signal += sum(r * r for r in ref)
        noise += sum((g - r) ** 2 for g, r in zip(got, ref))
    return math.inf if noise == 0 else 10 * math.log10(signal / noise)


COMPILE_TIME_MAX_WEIGHTS = 4096  # above: half a minute or more of compilation per compiler (README)


def compile_time_quantization(qfence, twin, tmp):
    """qfence::quantize<embedded twin, --emit-cpp tables>(correct_biases)
    against `qfence quantize --io int8` on every int8 value of each input
    element (and random ones beyond 256 elements): the failures, if any."""
    work = tmp / 'compile_time'
    work.mkdir()
    model = twin / 'model.tflite'
    info = json.loads(run(qfence, 'inspect', model, '--json'))
    weights = sum(math.prod(int(d) for d in m.split(','))
                  for m in re.findall(r"^\s+t\d+ f32\[([\d,]+)\].* const '", run(qfence, 'inspect', model), re.M))
    if weights > COMPILE_TIME_MAX_WEIGHTS:
        print(f'  {"compile-time":15s} skipped: {weights} weights (over {COMPILE_TIME_MAX_WEIGHTS}: half a minute '
              'or more of compilation per compiler; README)')
        return []
    try:
        run(qfence, 'embed', model, '--name', 'twin', '-o', work / 'twin.hpp')
        run(qfence, 'calibrate', model, '--calib', twin / 'calib', '--calibrator', 'mse', '--emit-cpp',
            work / 'twin_ranges.hpp', '--name', 'twin_ranges')
        run(qfence, 'quantize', model, '--calib', twin / 'calib', '--calibrator', 'mse', '--io', 'int8', '-o',
            work / 'int8.tflite')
        (work / 'main.cpp').write_text(
            '#include <fstream>\n#include <memory>\n#include "twin.hpp"\n#include "twin_ranges.hpp"\n'
            'constexpr auto int8_twin = qfence::quantize<twin::graph_v, twin_ranges::ranges>(\n'
            '    qfence::correct_biases<twin_ranges::channel_means>);\n'
            'int main(int, char** argv) {\n'
            '  auto arena = std::make_unique<qfence::arena<decltype(int8_twin)>>();\n'
            '  std::ifstream in(argv[1], std::ios::binary);\n'
            '  std::ofstream out(argv[2], std::ios::binary);\n'
            '  auto x = arena->input<0>();\n'
            '  while (in.read(reinterpret_cast<char*>(x.data()), x.size())) {\n'
            '    if (int8_twin.invoke(*arena) != qfence::invoke_status::completed) return 1;\n'
            '    out.write(reinterpret_cast<const char*>(arena->output<0>().data()), arena->output<0>().size());\n'
            '  }\n'
            '}\n')
        include = pathlib.Path(__file__).resolve().parents[2] / 'include'
        flags = os.environ.get('QFENCE_EMBED_CXXFLAGS', '').split()
        run(os.environ['CXX'], '-std=c++20', '-O1', *flags, f'-I{include}', f'-I{work}', work / 'main.cpp', '-o',
            work / 'main', '-lhwy')
        elements = math.prod(info['inputs'][0]['shape'])
        samples = 256
        data = bytes((k + e * 37) % 256 for k in range(samples) for e in range(elements))
        (work / 'in.bin').write_bytes(data)
        run(work / 'main', work / 'in.bin', work / 'typed.bin')
        run(qfence, 'run', work / 'int8.tflite', '--in', work / 'in.bin', '--sequence', samples, '--out-dir', work / 'rt')
        same = (work / 'typed.bin').read_bytes() == (work / 'rt' / 'output0.bin').read_bytes()
    except RuntimeError as e:
        return [f'compile-time quantization: {e}']
    print(f'  {"compile-time":15s} qfence::quantize of the embedded twin with the --emit-cpp tables: '
          f'{"the bytes of qfence quantize --io int8" if same else "DIFFERS from qfence quantize --io int8"} '
          f'({samples} inputs)')
    return [] if same else ['compile-time quantization: qfence::quantize differs from qfence quantize --io int8']


def embedded_matches_runtime(qfence, model, twin, tmp, tag):
    """The compile-time path (scripts/embed-run) gives the runtime path's
    output bytes on the first evaluation sample."""
    sample = sorted((twin / 'eval').glob('*.bin'))[0]
    run(EMBED_RUN, model, '--in', sample, '--out-dir', pathlib.Path(tmp) / f'embedded_{tag}')
    run(qfence, 'run', model, '--in', sample, '--out-dir', pathlib.Path(tmp) / f'runtime_{tag}')
    return (pathlib.Path(tmp) / f'embedded_{tag}' / 'output0.bin').read_bytes() == \
        (pathlib.Path(tmp) / f'runtime_{tag}' / 'output0.bin').read_bytes()


def main():
    twins, name, qfence = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    calibrators = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == '--calibrator'] or \
        ['minmax', 'moving_average', 'percentile', 'mse', 'entropy', 'auto']
    known_gap = float(sys.argv[sys.argv.index('--known-gap') + 1]) if '--known-gap' in sys.argv else 0.0
    twin = twins / name
    if not (twin / 'meta.json').exists():
        print(f'skipped: {twin} is absent')
        return 77
    meta = json.loads((twin / 'meta.json').read_text())
    target = meta['quant_vs_twin']
    meaningful = target.get('top1_meaningful', True)
    print(f'{name}: the original TFLite-quantized model: SQNR {target["sqnr_db"]:.2f} dB, '
          f'top-1 agreement {target["top1_agreement"]:.3f}' + ('' if meaningful else ' (top-1 not meaningful)'))
    failures = []
    best = None
    with tempfile.TemporaryDirectory() as tmp:
        # qfence dequantize of the original gives the shipped twin: the same
        # outputs, bit for bit, on every evaluation sample.
        twin_made = pathlib.Path(tmp) / 'twin.tflite'
        run(qfence, 'dequantize', twin / 'quant.tflite', '-o', twin_made)
        # Run as one sequence (run_samples): equal outputs also show that the
        # twin holds no state between invokes.
        samples = sorted((twin / 'eval').glob('*.bin'))
        differ = sum(got != (twin / 'eval_out_float' / sample.name).read_bytes()
                     for sample, got in zip(samples, run_samples(qfence, twin_made, [s.read_bytes() for s in samples])))
        print(f'  dequantize quant.tflite: {differ} evaluation outputs differ from the shipped twin\'s')
        if differ:
            failures.append(f'the dequantized original differs from the twin on {differ} samples')
        for c in calibrators:
            out = pathlib.Path(tmp) / f'{c}.tflite'
            try:
                run(qfence, 'quantize', twin / 'model.tflite', '--calib', twin / 'calib', '--calibrator', c, '-o', out)
                run(qfence, 'inspect', out)  # reads back
                sqnr, top1 = evaluate(qfence, out, twin)
            except RuntimeError as e:
                failures.append(f'{c}: {e}')
                print(f'  {c:15s} FAILED: {e}')
                continue
            print(f'  {c:15s} SQNR {sqnr:6.2f} dB  top-1 agreement {top1:.3f}')
            if c == 'auto':
                # The debugger's output SQNR on the eval set is the same figure.
                report = json.loads(run(qfence, 'debug', twin / 'model.tflite', out, '--calib', twin / 'eval', '--json'))
                if abs(report['output_sqnr_db'] - sqnr) > 1e-6:
                    failures.append(f'debug says {report["output_sqnr_db"]:.4f} dB at the output, the runs {sqnr:.4f}')
                worst = min(report['layers'], key=lambda l: l.get('sqnr_db', math.inf))
                print(f'  debug: worst layer op {worst["op_index"]} {worst["op"]} {worst.get("sqnr_db", math.inf):.2f} dB')
                i = meta['inputs'][0]['orig']
                original = evaluate_on_calibration(qfence, twin / 'quant.tflite', twin, (i['scale'][0], i['zero_point'][0]))
                ours = evaluate_on_calibration(qfence, out, twin)
                print(f'  on the {len(list((twin / "calib").glob("*.bin")))} calibration samples: auto {ours:.2f} dB, '
                      f'the original {original:.2f} dB')
                if ours < original - 0.5:
                    failures.append(f'auto is {original - ours:.2f} dB below the original on the calibration samples')
            if best is None or sqnr > best[1]:
                best = (c, sqnr, top1)
        # debug --suggest: a target 0.5 dB above what quantize makes from
        # calib/ must be met by the steps it suggests (layers kept in int16,
        # fences), and quantizing with those must give the output SQNR it
        # measured (its claim is a measurement of that very model).
        try:
            auto = pathlib.Path(tmp) / 'auto.tflite'
            if not auto.exists():
                run(qfence, 'quantize', twin / 'model.tflite', '--calib', twin / 'calib', '-o', auto)
            start = json.loads(run(qfence, 'debug', twin / 'model.tflite', auto, '--calib', twin / 'calib', '--json'))
            target_db = start['output_sqnr_db'] + 0.5
            s = json.loads(run(qfence, 'debug', twin / 'model.tflite', auto, '--calib', twin / 'calib', '--json',
                               '--suggest', f'{target_db}'))['suggestion']
            steps, args = s['steps'], s['quantize_args']
            print(f'  suggest         {target_db:.2f} dB: {"met" if s["target_met"] else "NOT met"} with '
                  f'{[(f["action"], f["op_index"]) for f in steps]}')
            if not s['target_met'] or not steps:
                failures.append(f'suggest: the target {target_db:.2f} dB was not met ({s})')
            else:
                fenced = pathlib.Path(tmp) / 'suggested.tflite'
                run(qfence, 'quantize', twin / 'model.tflite', '--calib', twin / 'calib', '--calibrator', s['calibrator'],
                    *args, '-o', fenced)
                again = json.loads(run(qfence, 'debug', twin / 'model.tflite', fenced, '--calib', twin / 'calib',
                                       '--json'))['output_sqnr_db']
                claimed = steps[-1]['output_sqnr_db']
                print(f'  suggest         quantize with {" ".join(args)}: {again:.4f} dB, claimed {claimed:.4f} dB')
                if abs(again - claimed) > 1e-3:
                    failures.append(f'suggest: claimed {claimed:.4f} dB, quantize {" ".join(args)} gives {again:.4f}')
        except RuntimeError as e:
            failures.append(f'suggest: {e}')
        # Images as calibration data: the photos of ../shared/images, read,
        # resized and normalised by qfence, as the twin's meta.json says its
        # inputs were made (real = (pixel - 128 - zero point) * scale). Eleven
        # whole photos against the 64 crops of calib/: within IMAGES_MARGIN_DB
        # of the original (measured: 34.17 dB with percentile, the original
        # 35.26); a wrong normalisation (e.g. the default [0, 1]) gives 8 dB.
        images = twins.parent / 'images'
        shape = meta['inputs'][0]['shape']
        if images.is_dir() and len(shape) == 4 and shape[-1] in (1, 3):
            i = meta['inputs'][0]['orig']
            mean, scale = 128 + i['zero_point'][0], 1 / i['scale'][0]
            out = pathlib.Path(tmp) / 'images.tflite'
            try:
                run(qfence, 'quantize', twin / 'model.tflite', '--calib', images, '--mean', f'{mean}', '--scale',
                    f'{scale}', '--calibrator', 'percentile', '-o', out)
                sqnr, top1 = evaluate(qfence, out, twin)
                print(f'  {"images":15s} SQNR {sqnr:6.2f} dB  top-1 agreement {top1:.3f} (percentile, calibrated on '
                      f'{len([p for p in images.iterdir() if p.suffix in (".bmp", ".pgm", ".ppm")])} photos)')
                if sqnr < target['sqnr_db'] - IMAGES_MARGIN_DB or top1 < 1.0:
                    failures.append(f'images: SQNR {sqnr:.2f} dB (at least the original\'s - {IMAGES_MARGIN_DB}), '
                                    f'top-1 {top1:.3f}')
            except RuntimeError as e:
                failures.append(f'images: {e}')
        else:
            print(f'  images          skipped: {images} is absent or the input is not an image')
        # The float16 scheme: no calibration, weights rounded to 11
        # significant bits, float activations: it must beat the int8
        # original by F16_MARGIN_DB, agree on top-1 everywhere, and halve
        # the constants' bytes.
        out = pathlib.Path(tmp) / 'float16.tflite'
        try:
            said = run(qfence, 'quantize', twin / 'model.tflite', '--scheme', 'float16', '-o', out)
            sqnr, top1 = evaluate(qfence, out, twin)
            print(f'  {"float16":15s} SQNR {sqnr:6.2f} dB  top-1 agreement {top1:.3f}; {said.strip()}')
            sizes = re.search(r'\(([0-9.]+) KiB -> ([0-9.]+) KiB\)', said)
            if sqnr < target['sqnr_db'] + F16_MARGIN_DB or top1 < 1.0:
                failures.append(f'float16: SQNR {sqnr:.2f} dB (at least the original\'s + {F16_MARGIN_DB}), top-1 {top1:.3f}')
            if not sizes or float(sizes.group(2)) > float(sizes.group(1)) / 2 + 0.1:
                failures.append(f'float16 did not halve the constants: {said.strip()}')
        except RuntimeError as e:
            failures.append(f'float16: {e}')
        # The dynamic-range scheme: int8 weights run by the hybrid kernels,
        # float activations. With TFLite's threshold (1024 values) and with
        # every FULLY_CONNECTED / (DEPTHWISE_)CONV_2D layer hybrid: within DYN_MARGIN_DB
        # of the int8 original (on hello_world it is 1.65 dB below: the
        # twin's weights lie on the original's per-tensor grid, which
        # per-channel weights leave, and the evaluation inputs on its input
        # grid, which the hybrid layers' run-time quantization leaves), and
        # top-1 agreement everywhere. The compile-time path must give the
        # runtime path's bytes.
        for label, extra in (('dynamic', []), ('dynamic (all)', ['--min-elements', '1'])):
            out = pathlib.Path(tmp) / 'dynamic.tflite'
            try:
                said = run(qfence, 'quantize', twin / 'model.tflite', '--scheme', 'dynamic', *extra, '-o', out)
                sqnr, top1 = evaluate(qfence, out, twin)
                print(f'  {label:15s} SQNR {sqnr:6.2f} dB  top-1 agreement {top1:.3f}; {said.splitlines()[-1].strip()}')
                layers = int(re.search(r': (\d+) layers with int8 weights', said).group(1))
                if extra and (layers == 0 or sqnr < target['sqnr_db'] - DYN_MARGIN_DB or top1 < 1.0):
                    failures.append(f'{label}: {layers} hybrid layers, SQNR {sqnr:.2f} dB (at least the original\'s '
                                    f'- {DYN_MARGIN_DB}), top-1 {top1:.3f}')
                if extra and EMBED_RUN.exists() and 'QFENCE_BUILD' in os.environ:
                    same = embedded_matches_runtime(qfence, out, twin, tmp, 'dynamic')
                    verdict = 'the same bytes as the runtime path' if same else 'DIFFERS from the runtime path'
                    print(f'  {label:15s} compile-time path: {verdict}')
                    if not same:
                        failures.append(f'{label}: the embedded model differs from the runtime path')
            except RuntimeError as e:
                failures.append(f'{label}: {e}')
        # The int16x8 scheme: int16 activations, int8 weights, int64 biases;
        # ops without an int16x8 kernel in qfence fenced. It must beat the
        # int8 original by I16_MARGIN_DB (measured with minmax: hello_world
        # 45.46 dB against 37.39, where the evaluation set leaves the
        # calibrated output range; person_detect 78.15 against 35.26, its
        # depthwise layers, pool and softmax fenced), agree on top-1, and
        # the compile-time path must give the runtime path's bytes.
        out = pathlib.Path(tmp) / 'int16x8.tflite'
        try:
            said = run(qfence, 'quantize', twin / 'model.tflite', '--calib', twin / 'calib', '--scheme', 'int16x8',
                       '--calibrator', 'minmax', '-o', out)
            sqnr, top1 = evaluate(qfence, out, twin)
            fences = said.count('fence: ')
            print(f'  {"int16x8":15s} SQNR {sqnr:6.2f} dB  top-1 agreement {top1:.3f} (minmax, {fences} fences)')
            if sqnr < target['sqnr_db'] + I16_MARGIN_DB or top1 < 1.0:
                failures.append(f'int16x8: SQNR {sqnr:.2f} dB (at least the original\'s + {I16_MARGIN_DB}), top-1 {top1:.3f}')
            if EMBED_RUN.exists() and 'QFENCE_BUILD' in os.environ:
                same = embedded_matches_runtime(qfence, out, twin, tmp, 'int16x8')
                print(f'  {"int16x8":15s} compile-time path: '
                      f'{"the same bytes as the runtime path" if same else "DIFFERS from the runtime path"}')
                if not same:
                    failures.append('int16x8: the embedded model differs from the runtime path')
        except RuntimeError as e:
            failures.append(f'int16x8: {e}')
        # The twin described in C++ and quantized by the compiler:
        # `qfence embed` writes its float graph, `qfence calibrate
        # --emit-cpp` the tables for it, and qfence::quantize of the one with
        # the other must be the model `qfence quantize --io int8` writes from
        # the same samples, byte for byte (README, "Quantizing a model
        # described in C++"). For a small model: a large one compiles only
        # with raised constant-evaluation limits, minutes per compiler.
        if 'QFENCE_BUILD' in os.environ and 'CXX' in os.environ:
            failures += compile_time_quantization(qfence, twin, pathlib.Path(tmp))
    if best is not None:
        top1_ok = not meaningful or best[2] >= target['top1_agreement']
        gap = target['sqnr_db'] - best[1]
        verdict = 'meets the target' if gap <= 0 else f'misses the target by {gap:.2f} dB'
        print(f'best: {best[0]}, SQNR {best[1]:.2f} dB against the original\'s {target["sqnr_db"]:.2f}: {verdict}')
        if not top1_ok:
            failures.append(f'top-1 agreement {best[2]:.3f} below the original\'s {target["top1_agreement"]:.3f}')
        if gap > known_gap:
            failures.append(f'SQNR target missed by {gap:.2f} dB (known gap: {known_gap:.2f})')
        elif known_gap > 0 and gap <= 0:
            failures.append(f'the target is met now: remove --known-gap {known_gap} for {name} from tests/meson.build')
        elif gap > 0:
            print(f'known gap ({gap:.2f} dB of the {known_gap:.2f} allowed): see the note of issue #10')
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
