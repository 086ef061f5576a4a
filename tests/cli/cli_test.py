#!/usr/bin/env python3
"""The qfence command line on good and bad input: --help, usage
errors, run/inspect on a small model, and corrupt files of every kind, each of
which must end with exit status 1 and exactly one line 'qfence: error: ...'
on stderr, never a crash (this script also runs on the ASan/UBSan build).

usage: cli_test.py QFENCE WRITE_TEST_MODELS [-- CXX ARGS...]
With a compiler command after --, it also compiles the two headers `embed`
writes: the types header alone, and the full header.
"""
import json
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL', what)


def run(*args):
    return subprocess.run([QFENCE, *map(str, args)], capture_output=True, text=True, errors='replace')


def expect_error(args, must_contain, label):
    r = run(*args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1, f'{label}: exit status {r.returncode}, expected 1 (stderr: {r.stderr.strip()[:300]})')
    check(len(lines) == 1 and lines[0].startswith('qfence: error: '), f'{label}: stderr is not one error line: {lines[:3]}')
    if must_contain and lines:
        check(must_contain in lines[0], f'{label}: "{must_contain}" not in "{lines[0]}"')


def same_refusals_as_run(cxx, gen, model):
    """The compile-time path's program (tools/qfence/embed_driver.cpp, what
    scripts/embed-run builds) around the embedded `small` refuses the
    command lines `qfence run` refuses, with the same words: one parser."""
    driver = pathlib.Path(__file__).resolve().parents[2] / 'tools' / 'qfence' / 'embed_driver.cpp'
    c = subprocess.run([*cxx, f'-I{gen}', '-DQFENCE_EMBED_HEADER="small.hpp"', '-DQFENCE_EMBED_NAME=small', driver,
                        '-o', gen / 'small_run', '-lhwy'], capture_output=True, text=True)
    check(c.returncode == 0, f'embed driver does not compile: {c.stderr[:1500]}')
    if c.returncode != 0:
        return
    def reason(stderr, prefix):
        line = stderr.strip()
        return line.removeprefix(prefix).removesuffix(' (see qfence --help)')
    for bad in (['--repeat', '0'], ['--repeat', 'abc'], ['--sequence', '-1'], ['--sequence', '2', '--repeat', '2'],
                ['--numerics', 'fast'], ['--out-dir']):
        a = run('run', model, *bad)
        b = subprocess.run([gen / 'small_run', *bad], capture_output=True, text=True)
        check(a.returncode == 2 and b.returncode == 2, f'run and the embed driver refuse {bad}: exit {a.returncode}, {b.returncode}')
        check(reason(a.stderr, 'qfence: error: ') == reason(b.stderr, 'qfence embed-run: error: '),
              f'run and the embed driver say the same of {bad}: {a.stderr.strip()!r} vs {b.stderr.strip()!r}')
    # Inputs that do not fit: exit 1 and the same words (one loader).
    for bad in (['--in', gen, '--in', gen, '--in', gen], ['--in', gen]):
        a = run('run', model, *bad)
        b = subprocess.run([gen / 'small_run', *bad], capture_output=True, text=True)
        check(a.returncode == 1 and b.returncode == 1, f'run and the embed driver fail on {bad}: exit {a.returncode}, {b.returncode}')
        check(reason(a.stderr, 'qfence: error: ') == reason(b.stderr, 'qfence embed-run: error: '),
              f'run and the embed driver say the same of {bad}: {a.stderr.strip()!r} vs {b.stderr.strip()!r}')
    b = subprocess.run([gen / 'small_run', '--repeat', '3'], capture_output=True, text=True)
    check(b.returncode == 0 and json.loads(b.stdout)['repeat'] == 3, f'embed driver --repeat 3: {b.stderr[:300]}')


def main():
    global QFENCE
    QFENCE, writer = sys.argv[1], sys.argv[2]
    cxx = sys.argv[sys.argv.index('--') + 1:] if '--' in sys.argv else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        subprocess.run([writer, tmp], check=True)
        valid = tmp / 'valid.tflite'

        r = run('--help')
        check(r.returncode == 0 and 'usage: qfence' in r.stdout, '--help prints usage')
        r = run()
        check(r.returncode == 2 and r.stderr.startswith('qfence: error: no command'), 'no command: exit 2')
        r = run('frobnicate')
        check(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, 'unknown command: exit 2')
        # The op table: one line per op and a summary; --json parses; the
        # TFLM ops qfence lacks are listed as such.
        r = run('ops')
        lines = r.stdout.splitlines()
        check(r.returncode == 0 and lines[0].startswith('op ') and 'TFLM registers' in lines[-1], 'ops prints a table')
        check(any(l.startswith('CONV_2D ') and 'i8' in l for l in lines), 'ops lists CONV_2D with i8')
        r = run('ops', '--json')
        if r.returncode == 0:
            table = json.loads(r.stdout)
            missing = [o['op'] for o in table['ops'] if o['in_tflm'] and not o['qfence']]
            check(len(missing) == table['tflm_ops_missing'], f'ops --json: {len(missing)} missing ops, says {table["tflm_ops_missing"]}')
        check(r.returncode == 0, f'ops --json: {r.stderr.strip()}')
        r = run('ops', '--csv')
        check(r.returncode == 2 and "ops: unknown option '--csv'" in r.stderr, 'ops --csv: exit 2')
        r = run('run', valid, '--repeat', 'zero')
        check(r.returncode == 2 and '--repeat takes a positive integer' in r.stderr, 'bad --repeat: exit 2')
        r = run('run', valid, '--numerics', 'fast')
        check(r.returncode == 2 and 'tflm or tflite' in r.stderr, 'bad --numerics: exit 2')

        # A working run: inputs from a file, outputs written, one JSON line.
        inp = tmp / 'in.bin'
        import struct
        inp.write_bytes(struct.pack('<3f', 1.5, -2.0, 0.25))
        out_dir = tmp / 'out'
        for model in ('valid.tflite', 'valid_offset_buffers.tflite'):
            r = run('run', tmp / model, '--in', inp, '--out-dir', out_dir, '--repeat', 3)
            check(r.returncode == 0, f'run {model}: {r.stderr.strip()}')
            if r.returncode == 0:
                line = json.loads(r.stdout)
                for key in ('inputs', 'outputs', 'arena_bytes', 'invoke_us_min', 'invoke_us_median'):
                    check(key in line, f'run {model}: JSON has no "{key}"')
                check(line['outputs'][0]['shape'] == [1, 3] and line['outputs'][0]['dtype'] == 'f32',
                      f'run {model}: output described as {line["outputs"][0]}')
                got = struct.unpack('<3f', (out_dir / 'output0.bin').read_bytes())
                check(got == (11.5, 18.0, 30.25), f'run {model}: output {got}')
        expect_error(('run', valid, '--in', valid), 'bytes, the model needs', 'input of the wrong size')
        expect_error(('run', valid, '--in', valid, '--in', valid), 'the model has 1 input, 2 --in files were given',
                     'more --in files than inputs')

        # A stream (--sequence): CIRCULAR_BUFFER ends every other invoke early;
        # an --in file holds one sample per invoke, and the register after
        # each completed invoke is written back to back.
        circular = tmp / 'circular_buffer.tflite'
        samples = tmp / 'samples.bin'
        samples.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8]))
        seq_dir = tmp / 'seq'
        r = run('run', circular, '--sequence', 4, '--in', samples, '--out-dir', seq_dir)
        check(r.returncode == 0, f'run --sequence: {r.stderr.strip()}')
        if r.returncode == 0:
            line = json.loads(r.stdout)
            check(line.get('sequence') == 4 and line.get('completed') == 2, f'run --sequence: JSON {line}')
            check((seq_dir / 'invokes.txt').read_text().split() == ['ended_early', 'completed'] * 2,
                  'run --sequence: invokes.txt')
            check((seq_dir / 'output0.bin').read_bytes() == bytes([0, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8]),
                  f'run --sequence: registers {(seq_dir / "output0.bin").read_bytes().hex()}')
        expect_error(('run', circular, '--sequence', 3, '--in', samples), 'bytes, the model needs 2 per invoke, 3 '
                     'invokes: 6', '--sequence with too few samples')
        r = run('run', circular, '--sequence', 2, '--repeat', 2)
        check(r.returncode == 2 and 'pick one' in r.stderr, '--sequence with --repeat: exit 2')
        # Item 4 of issue #11: inspect describes what cannot run.
        r = run('inspect', tmp / 'complex_tensors.tflite')
        check(r.returncode == 0 and 'COMPLEX64[4]' in r.stdout and 'a dtype qfence does not run' in r.stdout,
              f'inspect describes COMPLEX64 tensors: {r.stdout[:600]} {r.stderr[:300]}')
        expect_error(('run', tmp / 'complex_tensors.tflite'),
                     "ComplexAbs (builtin 32, v1, reads or writes COMPLEX64 tensor 'samples', a dtype qfence does not "
                     "run) at node 0", 'run of a model with COMPLEX64 tensors')
        r = run('inspect', tmp / 'vela_scratch.tflite')
        check(r.returncode == 0 and 'unwritten (scratch)' in r.stdout and 'written by no operator' in r.stdout,
              f'inspect describes a scratch tensor: {r.stdout[:600]} {r.stderr[:300]}')
        expect_error(('run', tmp / 'vela_scratch.tflite'), 'ethos-u (builtin 32, v1, custom op without an '
                     'implementation)', 'run of a Vela model')
        r = run('inspect', circular)
        check(r.returncode == 0 and 'custom ops qfence ships: CIRCULAR_BUFFER' in r.stdout and
              'custom ops needed: none' in r.stdout, f'inspect lists CIRCULAR_BUFFER as shipped: {r.stdout[:400]}')
        expect_error(('run', valid, '--in', tmp / 'missing.bin'), "cannot open", 'missing input file')
        expect_error(('run', tmp / 'missing.tflite'), "cannot open", 'missing model')
        # A directory opens as a stream on Linux and has no size: a clear error,
        # with the model file inside named when there is one.
        (tmp / 'model_dir').mkdir()
        shutil.copy(tmp / 'valid.tflite', tmp / 'model_dir' / 'model.tflite')
        expect_error(('run', tmp / 'model_dir'), "is a directory, not a file; did you mean", 'a directory as the model')
        expect_error(('run', valid, '--in', tmp / 'model_dir'), "is a directory", 'a directory as an input')

        # embed writes NAME.hpp and NAME_types.hpp; the types header holds no weights.
        gen = tmp / 'gen'
        gen.mkdir()
        r = run('embed', valid, '--name', 'small', '-o', gen / 'small.hpp')
        check(r.returncode == 0, f'embed: {r.stderr.strip()}')
        if r.returncode == 0:
            types_text = (gen / 'small_types.hpp').read_text()
            full_text = (gen / 'small.hpp').read_text()
            check('struct weights' not in types_text and 'struct weights' in full_text,
                  'embed: weights are in small.hpp only')
            check('#include "small_types.hpp"' in full_text, 'embed: small.hpp includes small_types.hpp')
            check('using input_0 = types::t0;' in types_text and 'using output' in types_text,
                  'embed: named input and output aliases')
            if cxx:
                (gen / 'types_only.cpp').write_text(
                    '#include "small_types.hpp"\n'
                    'static_assert(std::is_same_v<small::input_0, small::model::input_type<0>>);\n'
                    'static_assert(std::is_same_v<small::tensors::output, small::model::output_type<0>>);\n'
                    'static_assert(small::model::arena_bytes > 0);\n'
                    'int main() { return 0; }\n')
                (gen / 'full.cpp').write_text(
                    '#include "small.hpp"\n'
                    'static_assert(small::weights::t1[2] == 30.0f);  // the bias, a constant expression\n'
                    'int main() {\n'
                    '  static qfence::arena<small::model> arena;\n'
                    '  arena.input<0>()[0] = 1.0f;\n'
                    '  small::graph().invoke(arena);\n'
                    '  return arena.output<0>()[0] == 11.0f ? 0 : 1;\n'
                    '}\n')
                for name in ('types_only', 'full'):
                    c = subprocess.run([*cxx, f'-I{gen}', gen / f'{name}.cpp', '-o', gen / name, '-lhwy'],
                                       capture_output=True, text=True)
                    check(c.returncode == 0, f'embed: {name}.cpp does not compile: {c.stderr[:1500]}')
                    if c.returncode == 0:
                        check(subprocess.run([gen / name]).returncode == 0, f'embed: {name} runs')
                same_refusals_as_run(cxx, gen, valid)

        r = run('inspect', valid, '--json')
        check(r.returncode == 0, f'inspect --json: {r.stderr.strip()}')
        if r.returncode == 0:
            info = json.loads(r.stdout)
            check(info['ops'] == {'ADD/v1': 1}, f'inspect ops: {info["ops"]}')
        r = run('inspect', valid, '--dot', tmp / 'g.dot')
        check(r.returncode == 0 and (tmp / 'g.dot').read_text().startswith('digraph'), 'inspect --dot writes a graph')

        # Unsupported ops: inspect lists them all and succeeds; run fails naming all.
        r = run('inspect', tmp / 'unsupported.tflite')
        check(r.returncode == 0 and 'TOPK_V2 (builtin 48, v1)' in r.stdout and 'MyDecoder' in r.stdout,
              f'inspect lists unsupported ops: {r.stdout[:500]}')
        expect_error(('run', tmp / 'unsupported.tflite'), '2 unsupported operators: TOPK_V2', 'run of unsupported ops')

        for name, text in [('bad_index', 'refers to tensor 42'), ('negative_shape', 'negative dimension'),
                           ('huge_shape', 'larger than 4 GiB'), ('short_buffer', 'holds 4 bytes'),
                           ('cycle', 'before the operator that writes it (a cycle)')]:
            for command in ('run', 'inspect'):
                expect_error((command, tmp / f'{name}.tflite'), text, f'{command} {name}')

        # calibrate: the float add model over a few samples written here.
        import struct
        calib = tmp / 'calib'
        calib.mkdir()
        for i in range(12):
            (calib / f'{i:04d}.bin').write_bytes(struct.pack('<3f', i * 0.5, -i * 0.25, 1.0))
        r = run('calibrate', valid, '--calib', calib, '--json')
        check(r.returncode == 0, f'calibrate: exit {r.returncode}: {r.stderr.strip()[:300]}')
        if r.returncode == 0:
            report = json.loads(r.stdout)
            by_name = {t['name']: t for t in report['tensors']}
            check(by_name.get('input', {}).get('range') == [-2.75, 5.5], f'calibrate: input range {by_name.get("input")}')
            check(report['samples'] == 12 and report['held_back'] == 1, f'calibrate: samples {report["samples"]}')
            check('calibrate: 12/12 samples' in r.stderr, f'calibrate: no progress lines: {r.stderr[:200]}')
            # --stream carries state between samples; a model without any
            # calibrates exactly as without the flag.
            s = run('calibrate', valid, '--calib', calib, '--json', '--stream')
            check(s.returncode == 0 and json.loads(s.stdout)['tensors'] == report['tensors'],
                  f'calibrate --stream of a stateless model: {s.stderr.strip()[:300]}')
        r = run('calibrate', valid, '--calib', calib, '--calibrator', 'mse', '--emit-cpp', tmp / 'ranges.hpp', '--name', 'r')
        check(r.returncode == 0 and 'qfence::quant::named_range named_ranges[]' in (tmp / 'ranges.hpp').read_text() and
              'inline constexpr std::array<qfence::quant::real_range, ' in (tmp / 'ranges.hpp').read_text(),
              f'calibrate --emit-cpp: {r.stderr.strip()[:300]}')
        r = run('calibrate', valid, '--calib', calib, '--calibrator', 'median')
        check(r.returncode == 2 and 'takes minmax' in r.stderr, 'calibrate: bad --calibrator: exit 2')
        r = run('calibrate', valid)
        check(r.returncode == 2 and '--calib DIR' in r.stderr, 'calibrate without --calib: exit 2')
        (calib / '0012.bin').write_bytes(struct.pack('<2f', 1.0, 2.0))
        expect_error(('calibrate', valid, '--calib', calib), '0012.bin\' has 8 bytes; input 0 of the model needs 12',
                     'calibrate: short sample')
        (calib / '0012.bin').write_bytes(struct.pack('<3f', 1.0, float('nan'), 2.0))
        r = run('calibrate', valid, '--calib', calib)
        check(r.returncode == 0 and '0012.bin: element 1 is NaN; sample skipped' in r.stdout,
              f'calibrate: NaN sample not reported: {r.stdout[-300:]}')

        # A model with control flow: calibrate observes the WHILE body at
        # every iteration (x, 2x, 4x in; 2x, 4x, 8x out), and names its
        # subgraph; int8 quantize quantizes inside the WHILE (the loop
        # carries x at one scale, from the union [-12, 24]), and the model
        # it writes runs, dequantizes and debugs; --fence WHILE keeps it
        # float and says so.
        loop_calib = tmp / 'loop_calib'
        loop_calib.mkdir()
        for i in range(4):
            (loop_calib / f'{i:04d}.bin').write_bytes(struct.pack('<4f', i, -0.5 * i, 0.25, 1.0))
        r = run('calibrate', tmp / 'float_while.tflite', '--calib', loop_calib, '--json')
        check(r.returncode == 0, f'calibrate float_while: exit {r.returncode}: {r.stderr.strip()[:300]}')
        if r.returncode == 0:
            seen = {(t.get('subgraph', 0), t['name']): t['seen'] for t in json.loads(r.stdout)['tensors']}
            check(seen.get((2, 'x_next')) == [-12.0, 24.0] and seen.get((2, 'x')) == [-6.0, 12.0] and
                  seen.get((0, 'y')) == [-12.0, 24.0], f'calibrate float_while: ranges {seen}')
        # --emit-cpp: the row table of the typed graph `qfence embed` writes
        # (the while_'s cond and body after the model's own nodes) and the
        # tensors by name and subgraph. qfence::quantize of the embedded float
        # model with those tables is the model `qfence quantize --io int8`
        # writes: the same output bytes.
        r = run('calibrate', tmp / 'float_while.tflite', '--calib', loop_calib, '--emit-cpp', tmp / 'loop_ranges.hpp',
                '--name', 'loop')
        text = (tmp / 'loop_ranges.hpp').read_text() if r.returncode == 0 else r.stderr
        check('{"x_next", {-1.200000000e+01f, 2.400000000e+01f}, 2},' in text and
              '{"y", {-1.200000000e+01f, 2.400000000e+01f}},' in text and
              "{-1.200000000e+01f, 2.400000000e+01f},  // row 13: subgraph 2, t12 'x_next'" in text and
              'inline constexpr std::array<std::span<const double>, 14> channel_means{{' in text,
              f'calibrate --emit-cpp float_while: {text[-1500:]}')
        e = run('embed', tmp / 'float_while.tflite', '--name', 'loopm', '-o', tmp / 'loop_embed.hpp')
        q = run('quantize', tmp / 'float_while.tflite', '--calib', loop_calib, '--calibrator', 'minmax', '--io', 'int8', '-o',
                tmp / 'loop_q8.tflite')
        check(e.returncode == 0 and q.returncode == 0, f'embed / quantize --io int8 of float_while: {e.stderr} {q.stderr}')
        if cxx and r.returncode == 0 and e.returncode == 0 and q.returncode == 0:
            (tmp / 'loop_in.bin').write_bytes(bytes([0xd0, 0xd4, 0xd8, 0xdc]))  # int8 -48 .. -36: x up to 1, 8x in range
            (tmp / 'loop_q8.cpp').write_text(
                '#include <fstream>\n#include <iterator>\n#include "loop_embed.hpp"\n#include "loop_ranges.hpp"\n'
                'constexpr auto int8_loop = qfence::quantize<loopm::graph_v, loop::ranges>(\n'
                '    qfence::correct_biases<loop::channel_means>);\n'
                'static_assert(decltype(int8_loop)::input_type<0>::type == qfence::dtype::i8);\n'
                'int main(int, char** argv) {\n'
                '  auto arena = std::make_unique<qfence::arena<decltype(int8_loop)>>();\n'
                '  std::ifstream in(argv[1], std::ios::binary);\n'
                '  in.read(reinterpret_cast<char*>(arena->input<0>().data()), arena->input<0>().size());\n'
                '  if (int8_loop.invoke(*arena) != qfence::invoke_status::completed) return 1;\n'
                '  std::ofstream(argv[2], std::ios::binary).write(reinterpret_cast<const char*>(arena->output<0>().data()),\n'
                '                                                 arena->output<0>().size());\n'
                '  int in_body = 0;\n'
                '  for (const auto& n : loop::named_ranges) in_body += n.subgraph == 2;\n'
                '  return in_body == 2 ? 0 : 2;\n'
                '}\n')
            c = subprocess.run([*cxx, f'-I{tmp}', tmp / 'loop_q8.cpp', '-o', tmp / 'loop_q8', '-lhwy'], capture_output=True,
                               text=True)
            check(c.returncode == 0, f'qfence::quantize of the embedded float_while with the --emit-cpp tables does not '
                  f'compile: {c.stderr[-1500:]}')
            if c.returncode == 0:
                ran = subprocess.run([tmp / 'loop_q8', tmp / 'loop_in.bin', tmp / 'loop_typed_out.bin'])
                rt = run('run', tmp / 'loop_q8.tflite', '--in', tmp / 'loop_in.bin', '--out-dir', tmp / 'loop_q8_out')
                check(ran.returncode == 0 and rt.returncode == 0 and
                      (tmp / 'loop_typed_out.bin').read_bytes() == (tmp / 'loop_q8_out' / 'output0.bin').read_bytes(),
                      f'qfence::quantize with the --emit-cpp tables differs from qfence quantize --io int8 '
                      f'(exit {ran.returncode}, {rt.stderr.strip()[-300:]})')
        r = run('quantize', tmp / 'float_while.tflite', '--calib', loop_calib, '--no-fences', '-o', tmp / 'loop_q.tflite')
        check(r.returncode == 0 and 'fence:' not in r.stdout and ', 0 fences,' in r.stdout,
              f'quantize float_while: exit {r.returncode}: {r.stdout.strip()[-300:]} {r.stderr.strip()[-300:]}')
        r = run('inspect', tmp / 'loop_q.tflite', '--json')
        check(r.returncode == 0, f'inspect of the quantized float_while: {r.stderr.strip()[:300]}')
        if r.returncode == 0:
            info = json.loads(r.stdout)
            body = info['subgraphs'][1]
            passed = [info['tensors'][t] for t in body['inputs'] + body['outputs']]
            check([t['dtype'] for t in passed] == ['i32', 'i8', 'i32', 'i8'] and
                  len({str(t.get('quantization')) for t in passed if t['dtype'] == 'i8'}) == 1 and
                  [n['op'] for n in body['nodes']] == ['ADD', 'ADD'], f'quantize float_while: body {body} {passed}')
        r = run('run', tmp / 'loop_q.tflite')
        check(r.returncode == 0, f'run of the quantized float_while: {r.stderr.strip()[:300]}')
        r = run('dequantize', tmp / 'loop_q.tflite', '-o', tmp / 'loop_twin.tflite')
        check(r.returncode == 0 and 'holds no quantized tensors' not in r.stderr,
              f'dequantize of the quantized float_while: {r.stderr.strip()[:300]}')
        r = run('dequantize', tmp / 'float_while.tflite', '-o', tmp / 'loop_again.tflite')
        check(r.returncode == 0 and "holds no quantized tensors: it is float already" in r.stderr,
              f'dequantize of a float model says so: {r.stderr.strip()[:300]}')
        r = run('debug', tmp / 'float_while.tflite', tmp / 'loop_q.tflite', '--calib', loop_calib)
        check(r.returncode == 0 and 'SQNR' in r.stdout, f'debug of the quantized float_while: {r.stderr.strip()[:300]}')
        r = run('quantize', tmp / 'float_while.tflite', '--calib', loop_calib, '--fence', 'WHILE', '-o',
                tmp / 'loop_fenced.tflite')
        check(r.returncode == 0 and 'fence: operator 0 (WHILE) stays float: fenced on request' in r.stdout,
              f'quantize --fence WHILE: exit {r.returncode}: {r.stdout.strip()[-300:]} {r.stderr.strip()[-300:]}')
        expect_error(('quantize', tmp / 'float_while.tflite', '--calib', loop_calib, '--fence', 'WHILE', '--no-fences',
                      '-o', tmp / 'loop_q.tflite'), 'operator 0 (WHILE) would be fenced (kept in float): fenced on request',
                     'quantize --no-fences --fence WHILE')  # one line: before calibrating

        # quantize: the add model, and one with an op that has no int8 kernel.
        quantized = tmp / 'q.tflite'
        r = run('quantize', valid, '--calib', calib, '--calibrator', 'minmax', '-o', quantized)
        check(r.returncode == 0 and 'wrote' in r.stdout and quantized.exists(), f'quantize: {r.stderr.strip()[-300:]}')
        r = run('inspect', quantized, '--json')
        if r.returncode == 0:
            ops = json.loads(r.stdout)['ops']
            check(ops == {'QUANTIZE/v1': 1, 'ADD/v2': 1, 'DEQUANTIZE/v2': 1}, f'quantize: ops {ops}')
        # A model that reads int8 is refused for what it is, before its
        # calibration files' sizes (int8 bytes) are checked against it.
        int8_io = tmp / 'q_int8_io.tflite'
        r = run('quantize', valid, '--calib', calib, '--io', 'int8', '-o', int8_io)
        check(r.returncode == 0, f'quantize --io int8: {r.stderr.strip()[-300:]}')
        # --calibrator auto (the default) warns about the ranges it chose,
        # by that calibrator's name (these samples grow: every calibrator's
        # ranges move, and each warns); it used to warn about minmax's.
        chosen = re.search(r'wrote .*calibrator (\w+)', r.stdout)
        said = set(re.findall(r'(?:its|the) (minmax|moving_average|percentile|mse|entropy) range', r.stderr))
        check(chosen is not None and chosen.group(1) != 'minmax' and said == {chosen.group(1)},
              f'quantize --calibrator auto: warnings about {said} for the ranges of {chosen and chosen.group(1)}')
        # calibrate --calibrator auto makes quantize's choice: its report
        # and tables are the chosen calibrator's (the trials on stderr
        # beside --json, on stdout otherwise).
        r = run('calibrate', valid, '--calib', calib, '--calibrator', 'auto', '--json')
        auto_report = json.loads(r.stdout) if r.returncode == 0 else {}
        by_hand = run('calibrate', valid, '--calib', calib, '--calibrator', chosen.group(1) if chosen else 'mse', '--json')
        check(r.returncode == 0 and chosen is not None and auto_report.get('calibrator') == chosen.group(1) and
              auto_report == json.loads(by_hand.stdout) and r.stderr.count('output SQNR') == 5,
              f'calibrate --calibrator auto: {auto_report.get("calibrator")}, not quantize\'s choice, or another report '
              f'than --calibrator {chosen and chosen.group(1)}: {r.stderr.strip()[-300:]}')
        r = run('calibrate', valid, '--calib', calib, '--calibrator', 'auto')
        check(r.returncode == 0 and r.stdout.count('output SQNR') == 5, f'calibrate --calibrator auto: {r.stdout[:300]}')
        for command, more in (('calibrate', ()), ('quantize', ('-o', tmp / 'again.tflite'))):
            expect_error((command, int8_io, '--calib', calib, *more),
                         'calibration runs a float model. To calibrate a quantized model, make its float twin first: '
                         'qfence dequantize', f'{command} of an int8 model')
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int4', '-o', quantized)
        check(r.returncode == 2 and 'int4' in r.stderr, 'quantize: unknown scheme: exit 2')
        r = run('quantize', valid, '--calib', calib)
        check(r.returncode == 2 and '-o OUT.tflite' in r.stderr, 'quantize without -o: exit 2')
        positive = tmp / 'positive'
        positive.mkdir()
        for i in range(12):
            (positive / f'{i:04d}.bin').write_bytes(struct.pack('<3f', i * 0.5, i * 0.25 + 1, 4.0))
        sqrt_add = tmp / 'sqrt_add.tflite'
        r = run('quantize', sqrt_add, '--calib', positive, '-o', quantized)
        check(r.returncode == 0 and 'fence: operator 0 (SQRT) stays float: qfence has no int8 kernel for it' in r.stdout,
              f'quantize: SQRT not fenced: {r.stdout[-400:]} {r.stderr[-300:]}')
        r = run('inspect', quantized, '--json')
        if r.returncode == 0:
            ops = json.loads(r.stdout)['ops']
            check(ops == {'SQRT/v1': 1, 'QUANTIZE/v1': 1, 'ADD/v2': 1, 'DEQUANTIZE/v2': 1}, f'quantize with a fence: ops {ops}')
        (tmp / 'x.bin').write_bytes(struct.pack('<3f', 4.0, 2.25, 4.0))  # inside the calibrated ranges
        r = run('run', quantized, '--in', tmp / 'x.bin', '--out-dir', tmp / 'qout')
        if r.returncode == 0:
            got = struct.unpack('<3f', (tmp / 'qout' / 'output0.bin').read_bytes())
            check(all(abs(g - w) < 0.15 for g, w in zip(got, (12.0, 21.5, 32.0))), f'quantized sqrt_add: {got}')
        # debug: the fenced model against its float original, layer by layer.
        r = run('debug', sqrt_add, quantized, '--calib', positive, '--json', '--svg', tmp / 'debug.svg')
        check(r.returncode == 0, f'debug: exit {r.returncode}: {r.stderr.strip()[-300:]}')
        if r.returncode == 0:
            report = json.loads(r.stdout)
            layers = {l['op']: l for l in report['layers']}
            check(report['matched_by'] == 'name' and report['samples'] == 12, f'debug: {report}')
            check(layers.get('SQRT', {}).get('fenced') is True and 'sqnr_db' not in layers['SQRT'],
                  f'debug: the fenced SQRT is computed in float, exactly: {layers.get("SQRT")}')
            check(layers.get('ADD', {}).get('dtype') == 'i8' and layers['ADD']['sqnr_db'] > 30,
                  f'debug: int8 ADD: {layers.get("ADD")}')
            svg = (tmp / 'debug.svg').read_text()
            check(svg.startswith('<svg') and 'SQRT fence' in svg and '</svg>' in svg, 'debug --svg: fence not drawn')
        r = run('debug', sqrt_add, quantized, '--in', tmp / 'x.bin')
        check(r.returncode == 0 and '1 sample,' in r.stdout and 'worst layers first' in r.stdout, f'debug --in: {r.stdout[:300]}')
        # debug --suggest: a target already met needs no change; bad values are usage errors.
        r = run('debug', sqrt_add, quantized, '--calib', positive, '--suggest', '10', '--calibrator', 'minmax')
        check(r.returncode == 0 and 'the target is met as it is' in r.stdout, f'debug --suggest: {r.stdout[-300:]}')
        r = run('debug', sqrt_add, quantized, '--calib', positive, '--suggest', 'high')
        check(r.returncode == 2 and 'target output SQNR in dB' in r.stderr, 'debug --suggest high: exit 2')
        r = run('debug', sqrt_add, quantized, '--in', tmp / 'x.bin', '--suggest', '40')
        check(r.returncode == 2 and '--suggest needs --calib' in r.stderr, 'debug --suggest without --calib: exit 2')
        # TFLite Support's metadata and the zip of associated files after
        # the flatbuffer (appended by Python's zipfile, as the populator
        # does) survive quantize, in every scheme, and dequantize: the
        # labels still open as a zip whose checksums hold.
        labelled = tmp / 'labelled.tflite'
        with zipfile.ZipFile(labelled, 'a') as z:
            z.writestr('labels.txt', 'cat\ndog\n')
        metadata_bytes = json.loads(run('inspect', labelled, '--json').stdout)['support_metadata_bytes']
        check(metadata_bytes > 0, 'the labelled test model has metadata')
        kept = {}
        for scheme in ('int8', 'int16x8', 'float16', 'dynamic'):
            out = tmp / f'labelled_{scheme}.tflite'
            r = run('quantize', labelled, '--calib', calib, '--scheme', scheme, '-o', out)
            check(r.returncode == 0, f'quantize labelled --scheme {scheme}: {r.stderr.strip()[-300:]}')
            check(f'kept: TFLite Support metadata ({metadata_bytes} bytes) and associated file labels.txt' in r.stdout,
                  f'quantize labelled --scheme {scheme} says what it kept: {r.stdout[-300:]}')
            kept[scheme] = out
        r = run('dequantize', kept['int8'], '-o', tmp / 'labelled_twin.tflite')
        check(r.returncode == 0, f'dequantize labelled: {r.stderr.strip()[-300:]}')
        kept['twin'] = tmp / 'labelled_twin.tflite'
        for what, path in kept.items():
            r = run('inspect', path, '--json')
            info = json.loads(r.stdout) if r.returncode == 0 else {}
            check(info.get('associated_files') == ['labels.txt'] and info.get('support_metadata_bytes') == metadata_bytes,
                  f'{what} keeps the metadata and associated files: {r.stderr.strip()[-300:]} '
                  f'{info.get("associated_files")} {info.get("support_metadata_bytes")}')
            if not path.exists():
                continue
            try:
                with zipfile.ZipFile(path) as z:
                    check(z.testzip() is None and z.read('labels.txt') == b'cat\ndog\n', f'{what}: labels.txt reads back')
            except zipfile.BadZipFile as e:
                check(False, f'{what}: not a zip archive after the model: {e}')
        r = run('inspect', kept['int8'])
        check('TFLite Support metadata: ' in r.stdout and 'input 0 normalised (x - 127.5) / 127.5' in r.stdout and
              'associated files: labels.txt' in r.stdout,
              f'inspect shows the normalisation and lists the associated files: {r.stdout[:600]}')
        r = run('inspect', labelled, '--json')
        info = json.loads(r.stdout) if r.returncode == 0 else {}
        check(info.get('input_normalization') == [{'input': 0, 'mean': [127.5], 'std': [127.5]}],
              f'inspect --json: input_normalization {info.get("input_normalization")}')
        # The weight-only schemes, and their options' checks.
        for scheme in ('float16', 'dynamic'):
            r = run('quantize', valid, '--scheme', scheme, '-o', tmp / f'{scheme}.tflite')
            check(r.returncode == 0 and 'wrote' in r.stdout, f'quantize --scheme {scheme}: {r.stderr.strip()[-300:]}')
            check('runs in TensorFlow Lite and qfence, not in TFLM' in r.stdout,
                  f'quantize --scheme {scheme} says where the model runs: {r.stdout[-300:]}')
            r = run('quantize', valid, '--scheme', scheme, '--fence', 'ADD', '-o', tmp / 'x.tflite')
            check(r.returncode == 2 and 'applies to --scheme int8' in r.stderr, f'{scheme} --fence: exit 2')
        # int16x8: int16 activations; --io must name the scheme's integer type.
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int16x8', '--io', 'int16', '-o', tmp / 'i16.tflite')
        check(r.returncode == 0 and 'wrote' in r.stdout, f'quantize --scheme int16x8: {r.stderr.strip()[-300:]}')
        r = run('inspect', tmp / 'i16.tflite')
        check(r.returncode == 0 and 'i16' in r.stdout, f'inspect the int16x8 model: {r.stdout[-300:]}')
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int16x8', '--io', 'int8', '-o', tmp / 'x.tflite')
        check(r.returncode == 2 and 'does not fit --scheme int16x8' in r.stderr, f'int16x8 --io int8: exit 2 ({r.stderr.strip()})')
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int16x8', '--io', 'uint8', '-o', tmp / 'x.tflite')
        check(r.returncode == 2 and 'does not fit --scheme int16x8' in r.stderr, f'int16x8 --io uint8: exit 2 ({r.stderr.strip()})')
        # --io uint8: uint8 tensors at the int8 scales, zero points + 128,
        # behind a QUANTIZE each (TFLite's inference_input_type uint8).
        r = run('quantize', valid, '--calib', calib, '--io', 'uint8', '-o', tmp / 'u8.tflite')
        check(r.returncode == 0 and 'wrote' in r.stdout, f'quantize --io uint8: {r.stderr.strip()[-300:]}')
        r = run('inspect', tmp / 'u8.tflite', '--json')
        if r.returncode == 0:
            info = json.loads(r.stdout)
            check([t['dtype'] for t in info['inputs'] + info['outputs']] == ['u8'] * 2 and
                  info['ops'] == {'QUANTIZE/v1': 2, 'ADD/v2': 1}, f'quantize --io uint8: {info["inputs"]} {info["ops"]}')
        r = run('run', tmp / 'u8.tflite')
        check(r.returncode == 0, f'run of the uint8-I/O model: {r.stderr.strip()[:300]}')
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int4', '-o', tmp / 'x.tflite')
        check(r.returncode == 2 and "unknown --scheme 'int4'" in r.stderr, f'--scheme int4: exit 2 ({r.stderr.strip()})')
        # --int16: an op of an int8 model kept in int16, with int8 I/O
        # requantized at its borders; meaningless (exit 2) for int16x8.
        r = run('quantize', valid, '--calib', calib, '--int16', '#0', '--io', 'int8', '-o', tmp / 'mixed.tflite')
        check(r.returncode == 0 and 'int16: operator 0 (ADD) runs in int16x8' in r.stdout,
              f'quantize --int16: {r.stdout[-300:]} {r.stderr.strip()[-300:]}')
        r = run('inspect', tmp / 'mixed.tflite', '--json')
        if r.returncode == 0:
            ops = json.loads(r.stdout)['ops']
            check(ops == {'QUANTIZE/v2': 1, 'ADD/v3': 1, 'QUANTIZE/v1': 1}, f'quantize --int16: ops {ops}')
        r = run('quantize', valid, '--calib', calib, '--scheme', 'int16x8', '--int16', 'ADD', '-o', tmp / 'x.tflite')
        check(r.returncode == 2 and '--scheme int16x8 runs every op in int16' in r.stderr, f'int16x8 --int16: exit 2')
        r = run('quantize', valid, '--calib', calib, '--min-elements', '4', '-o', tmp / 'x.tflite')
        check(r.returncode == 2 and '--min-elements applies to --scheme dynamic' in r.stderr, 'int8 --min-elements: exit 2')
        for bad in ('abc', '1,2', '1,,2'):
            r = run('calibrate', valid, '--calib', calib, '--mean', bad)
            check(r.returncode == 2 and 'one number or three' in r.stderr, f'--mean {bad}: exit 2 ({r.stderr.strip()})')
        r = run('calibrate', valid, '--calib', calib, '--scale', '0')
        check(r.returncode == 2 and 'not 0' in r.stderr, '--scale 0: exit 2')
        # Images for a model whose input is not an image: one error naming the input.
        images = tmp / 'images'
        images.mkdir()
        (images / 'a.pgm').write_bytes(b'P5 2 2 255\n\x00\x10\x20\x30')
        expect_error(('calibrate', valid, '--calib', images), 'images calibrate a model with one float input',
                     'calibrate: images for a non-image model')
        r = run('debug', sqrt_add, quantized)
        check(r.returncode == 2 and '--calib DIR' in r.stderr, 'debug without samples: exit 2')
        expect_error(('debug', quantized, sqrt_add, '--in', tmp / 'x.bin'), 'must be the float one', 'debug: swapped models')
        expect_error(('quantize', sqrt_add, '--calib', positive, '--no-fences', '-o', quantized),
                     'operator 0 (SQRT) would be fenced (kept in float): qfence has no int8 kernel for it',
                     'quantize --no-fences')
        # EXP has an int8 table only in TFLite: fenced for TFLM unless --tabulate keeps it.
        exp_add = tmp / 'exp_add.tflite'
        r = run('quantize', exp_add, '--calib', positive, '-o', quantized)
        check(r.returncode == 0 and 'operator 0 (EXP) stays float: TFLM has no int8 kernel for it' in r.stdout and
              '--tabulate EXP keeps it int8' in r.stdout, f'quantize: EXP not fenced: {r.stdout[-400:]}')
        r = run('quantize', exp_add, '--calib', positive, '--tabulate', 'EXP', '-o', quantized)
        check(r.returncode == 0 and 'note: operator 0 (EXP) is int8 as TFLite\'s table' in r.stdout and
              '0 fences' in r.stdout, f'quantize --tabulate EXP: {r.stdout[-400:]} {r.stderr[-300:]}')
        r = run('inspect', quantized, '--json')
        if r.returncode == 0:
            ops = json.loads(r.stdout)['ops']
            check(ops == {'QUANTIZE/v1': 1, 'EXP/v2': 1, 'ADD/v2': 1, 'DEQUANTIZE/v2': 1}, f'quantize --tabulate EXP: ops {ops}')
        expect_error(('quantize', exp_add, '--calib', positive, '--tabulate', 'ADD', '-o', quantized),
                     'operator 1 (ADD) cannot be tabulated', 'quantize --tabulate ADD')
        # A node by name: the tensor it writes ('output' is the ADD's).
        r = run('quantize', sqrt_add, '--calib', positive, '--fence', 'output', '-o', quantized)
        check(r.returncode == 0 and 'operator 1 (ADD) stays float: fenced on request' in r.stdout,
              f'quantize --fence by node name: {r.stdout[-300:]} {r.stderr[-300:]}')
        expect_error(('quantize', sqrt_add, '--calib', positive, '--fence', 'ouptut', '-o', quantized),
                     "--fence 'ouptut' names no operator of this model", 'quantize --fence with a typo')
        r = run('quantize', sqrt_add, '--calib', positive, '--fence', 'ADD', '-o', quantized)
        check(r.returncode == 0 and 'operator 1 (ADD) stays float: fenced on request' in r.stdout, 'quantize --fence ADD')
        r = run('inspect', quantized, '--json')
        if r.returncode == 0:  # adjacent fences share float tensors: nothing to convert
            ops = json.loads(r.stdout)['ops']
            check(ops == {'SQRT/v1': 1, 'ADD/v1': 1}, f'quantize, every op fenced: ops {ops}')

        data = valid.read_bytes()
        wrong_id = tmp / 'wrong_id.tflite'
        wrong_id.write_bytes(data[:4] + b'XXXX' + data[8:])
        expect_error(('inspect', wrong_id), "file identifier is 'XXXX'", 'wrong identifier')

        bad = tmp / 'bad.tflite'
        for n in range(0, len(data), 7):
            bad.write_bytes(data[:n])
            expect_error(('inspect', bad), None, f'truncated to {n} bytes')
        rng = random.Random(1)
        crashes = 0
        for i in range(150):
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            bad.write_bytes(bytes(b))
            r = run('run', bad)
            if r.returncode not in (0, 1):
                crashes += 1
                check(False, f'byte flips #{i}: exit status {r.returncode}: {r.stderr.strip()[:300]}')
            elif r.returncode == 1:
                lines = r.stderr.strip().splitlines()
                check(len(lines) == 1 and lines[0].startswith('qfence: error: '), f'byte flips #{i}: {lines[:3]}')
    print(f'{len(failures)} failures')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
