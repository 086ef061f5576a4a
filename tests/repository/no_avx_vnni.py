#!/usr/bin/env python3
"""No AVX-VNNI (VEX-encoded vpdpbusd/vpdpwssd) in the built code.

  no_avx_vnni.py OBJDUMP BINARY...

Highway 1.0.3 compiles its AVX3_DL target with a target string that enables
avxvnni, though its CPU check asks only for AVX-512 VNNI. A VNNI instruction
on xmm/ymm registers may then be given AVX-VNNI's VEX encoding, which CPUs
with AVX-512 VNNI but no AVX-VNNI (AMD Zen 4, Intel Ice Lake) fault on with
SIGILL; on CPUs that have both, every other test passes. The kernels force
the EVEX form ({evex}, kernels/dot_product-inl.hpp); this disassembles the
binaries and fails on any VEX-encoded VNNI instruction, whatever CPU runs it.
"""
import subprocess
import sys


def main():
    objdump, binaries = sys.argv[1], sys.argv[2:]
    bad = 0
    for binary in binaries:
        out = subprocess.run([objdump, '-d', '--no-show-raw-insn', binary], capture_output=True, text=True, check=True)
        function = '?'
        hits = []
        for line in out.stdout.splitlines():
            if line.endswith('>:'):
                function = line.split('<', 1)[-1][:-2]
            elif '{vex}' in line and 'vpdp' in line:
                hits.append(f'  {line.strip()}    in {function}')
        if hits:
            bad += 1
            print(f'FAIL {binary}: {len(hits)} VEX-encoded (AVX-VNNI) instructions; AVX-512 VNNI CPUs without '
                  'AVX-VNNI fault on them. Write them with the {evex} prefix (kernels/dot_product-inl.hpp):')
            print('\n'.join(hits[:10]))
        else:
            print(f'ok   {binary}: no AVX-VNNI encodings')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
