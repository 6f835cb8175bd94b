#!/usr/bin/python3
"""kernel-cost: what one element of each activation kernel costs on CPUs we
may not have.

For every line of cl/act_list.h it compiles the formula the library's
act.cl instantiates (cl/ sources concatenated as src/device/program.c does:
act_list.h, common.cl, the float32 storage prelude, storage.cl,
act_formulas.cl) inside a loop of the shape of act.cl's whole-item path --
each input's line prefetched 1 KiB ahead, one float16 loaded, the formula,
one float16 stored -- with clang
for each -mcpu (the OpenCL builtins the formulas call defined as the
operations pocl lowers them to) and runs llvm-mca over the loop's
instructions. It prints instructions and cycles per element (one
iteration is VW = 16 elements), the vector width the loop ended up in, and
what dominates: divides, reciprocal estimates, gathers, mask and blend
operations, calls the inliner left.

  /usr/bin/python3 tools/kernel-cost.py                 # every act, six CPUs
  /usr/bin/python3 tools/kernel-cost.py --act tanh,gelu --dir fwd
  /usr/bin/python3 tools/kernel-cost.py --cpu skylake-avx512 --show tanh.fwd
  /usr/bin/python3 tools/kernel-cost.py --so ~/.cache/pocl/kcache/.../act_tanh_fwd.so

--so analyses a kernel pocl has already compiled for this host instead
(objdump of its work-group function: each loop found is modelled for the
host's -mcpu, default skylake-avx512), which checks that the clang model
matches what pocl really runs. The method and its limits: doc/performance.md
("The static cost model"). Defaults are alpha and beta of act_list.h, given
to the formula as constants, so the numbers are those of the default
parameters' path.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CL = os.path.join(ROOT, 'cl')
# program.c's order for the ACT family, float32 instantiation.
SOURCES = ['act_list.h', 'common.cl', 'storage_f32.cl', 'storage.cl', 'act_formulas.cl']
VW = 16  # common.cl

# The CPUs the issue names: two AVX2 cores, four AVX-512 ones. The pocl
# library variant is the one pocl's host-CPU detection loads there.
CPUS = {
    'haswell': 'avx2',
    'znver3': 'avx2',
    'skylake-avx512': 'avx512',
    'icelake-server': 'avx512',
    'sapphirerapids': 'avx512',
    'znver4': 'avx512',
}
# clang 15 does not know -march=znver4 (16 does): Zen 3 plus the AVX-512
# subsets Zen 4 has.
MARCH = {'znver4': ['-march=znver3', '-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl',
                    '-mavx512cd', '-mavx512vbmi', '-mavx512vnni', '-mavx512bf16']}
# llvm-mca 14 (Debian 12) has no Zen 4 model. Zen 4 runs each 512-bit
# operation as two 256-bit halves on Zen 3's pipes, so its AVX-512 code is
# modelled by the same program compiled for znver4 but with znver3's
# ports, after splitting every zmm operation in two (see split_zmm).
MCA_STANDIN = {'znver4': 'znver3'}

# The builtins the formulas call, as the operations pocl's library lowers
# them to (LLVM's fabs, minnum/maxnum, fma, copysign, vector select). They
# are defined here instead of linking pocl's kernel-*.bc because clang
# passes a float16 by reference to a library function on a CPU without
# AVX-512 (the x86-64 ABI for 512-bit vectors) while the library takes it by
# value: the mismatch is undefined behaviour and the loop vanishes. a*b + c
# is contracted into one FMA (OpenCL C's default FP_CONTRACT on), which is
# what fma() is on these CPUs.
PRELUDE = """
#define fabs(x) __builtin_elementwise_abs(x)
#define fmin(a, b) __builtin_elementwise_min((a), (b))
#define fmax(a, b) __builtin_elementwise_max((a), (b))
#define fma(a, b, c) ((a) * (b) + (c))
#define mad(a, b, c) ((a) * (b) + (c))
#define select(a, b, c) ((c) ? (b) : (a))
#define isnan(x) ((x) != (x))
#define isinf(x) (fabs(x) == INFINITY)
#define isfinite(x) (fabs(x) < INFINITY)
#define copysign(x, y) as_float16((as_int16(x) & 0x7fffffff) | (as_int16(y) & (int)0x80000000))
"""


def tool(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    sys.exit('kernel-cost: none of %s found (Debian 12: clang-15, llvm-14)' % ', '.join(names))


def activations(cl):
    """(name, alpha, beta, needs) for each line of NNACT_ELEMENTWISE_ACTS."""
    text = open(os.path.join(cl, 'act_list.h')).read()
    block = text.split('#define NNACT_ELEMENTWISE_ACTS(A)')[1].split('#define')[0]
    return [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in
            re.finditer(r'A\((\w+),\s*\w+,\s*([-\d.]+f),\s*([-\d.]+f),\s*(\w+)\)', block)]


def ahead(p):
    """act.cl's prefetch of an input's line ACT_AHEAD_BYTES ahead."""
    return 'PREFETCH((__global const char *)(%s + i) + 1024);' % p


def wrapper(acts):
    """One loop kernel per formula and direction: the cost of an item."""
    out = []
    for name, a, b, needs in acts:
        out.append('__kernel void cost_%s_fwd(__global const vfloat *x, __global vfloat *y, uint n)\n'
                   '{ for (uint i = 0; i < n; i++) { %s y[i] = %s_fwd(x[i], %s, %s); } }\n'
                   % (name, ahead('x'), name, a, b))
        xv = 'x[i]' if needs == 'X' else 'VZERO'
        yv = 'y[i]' if needs == 'Y' else 'VZERO'
        pf = ahead('dy') + (ahead('x') if needs == 'X' else ahead('y') if needs == 'Y' else '')
        out.append('__kernel void cost_%s_bwd(__global const vfloat *x, __global const vfloat *y,\n'
                   '    __global const vfloat *dy, __global vfloat *dx, uint n)\n'
                   '{ for (uint i = 0; i < n; i++) { %s dx[i] = %s_bwd(%s, %s, dy[i], %s, %s); } }\n'
                   % (name, pf, name, xv, yv, a, b))
    return '\n'.join(out)


def compile_asm(src_path, cpu, work):
    """-O3 for the CPU; unrolling is off so that one loop iteration is one
    item."""
    clang = tool('clang-15')
    s = os.path.join(work, cpu + '.s')
    march = MARCH.get(cpu, ['-march=' + cpu])
    subprocess.run([clang, '-x', 'cl', '-cl-std=CL1.2', '-Xclang', '-finclude-default-header',
                    '-target', 'x86_64-pc-linux-gnu', '-O3', '-fno-unroll-loops', '-Wno-psabi',
                    '-S', '-o', s, src_path] + march, check=True)
    return open(s).read()


def functions(asm):
    """{function name: [lines]} of a clang assembly file."""
    out, cur = {}, None
    for line in asm.splitlines():
        m = re.match(r'^(\w+):', line)
        if m and not line.startswith('.'):
            cur = m.group(1)
            out[cur] = []
        elif cur and line.startswith('.Lfunc_end'):
            cur = None
        elif cur is not None:
            out[cur].append(line)
    return out


INSN = re.compile(r'^\s+([a-z][a-z0-9]*)\b')
LABEL = re.compile(r'^(\.LBB\w+):')
JUMP = re.compile(r'^\s+j[a-z]+\s+(\.LBB\w+)')


def innermost_loop(lines):
    """The instructions of the loop whose back edge closes the fewest
    instructions while holding the most vector ones (the item loop)."""
    labels = {}
    for i, l in enumerate(lines):
        m = LABEL.match(l)
        if m:
            labels[m.group(1)] = i
    best = None
    for i, l in enumerate(lines):
        m = JUMP.match(l)
        if not m or m.group(1) not in labels or labels[m.group(1)] >= i:
            continue
        body = [x.split('#')[0].rstrip() for x in lines[labels[m.group(1)]:i + 1] if INSN.match(x)]
        vec = sum(1 for x in body if INSN.match(x).group(1).startswith('v'))
        if best is None or vec > best[0]:
            best = (vec, body)
    return best[1] if best else []


def split_zmm(body):
    """Zen 4 stand-in: each zmm operation as two ymm ones (its datapath is
    256 bits wide), k-mask operations kept as they are."""
    out = []
    for x in body:
        if '%zmm' in x:
            y = x.replace('%zmm', '%ymm')
            out += [y, y]
        else:
            out.append(x)
    return out


def mca(body, cpu, iterations=200):
    """(instructions, cycles) per loop iteration from llvm-mca."""
    mcabin = tool('llvm-mca-14', 'llvm-mca')
    model = MCA_STANDIN.get(cpu, cpu)
    if model != cpu:
        body = split_zmm(body)
    r = subprocess.run([mcabin, '-mtriple=x86_64-unknown-linux-gnu', '-mcpu=' + model,
                        '-iterations=%d' % iterations, '-instruction-info=false',
                        '-resource-pressure=false'],
                       input='\n'.join(body) + '\n', capture_output=True, text=True)
    if r.returncode:
        return None, None, r.stderr.strip().splitlines()[-1] if r.stderr else 'llvm-mca failed'
    ins = int(re.search(r'Instructions:\s+(\d+)', r.stdout).group(1)) / iterations
    cyc = int(re.search(r'Total Cycles:\s+(\d+)', r.stdout).group(1)) / iterations
    return ins, cyc, None


# What the issue asks to see: the long-latency and the mask-heavy work.
CLASSES = [
    ('div', re.compile(r'^v?div[ps]s|^vrcp|^vrsqrt|^vsqrt')),
    ('gather', re.compile(r'^vp?gather|^vp?scatter')),
    ('mask', re.compile(r'^k[a-z]+|^vblendv|^vblendm|^vpblendm|^vpternlog|^vmovdq[au](32|64)?$')),
    ('cmp', re.compile(r'^vcmp|^vpcmp|^vfpclass')),
    ('fma', re.compile(r'^vfn?m(add|sub)')),
    ('call', re.compile(r'^call')),
]


def classify(body):
    counts = collections.Counter(INSN.match(x).group(1) for x in body if INSN.match(x))
    cls = {}
    for name, rx in CLASSES:
        n = sum(c for m, c in counts.items() if rx.match(m))
        if n:
            cls[name] = n
    width = 'zmm' if any('%zmm' in x for x in body) else 'ymm' if any('%ymm' in x for x in body) \
        else 'xmm'
    return counts, cls, width


def analyse(body, cpu):
    ins, cyc, err = mca(body, cpu)
    counts, cls, width = classify(body)
    return {'instructions_per_elem': ins / VW if ins else None,
            'cycles_per_elem': cyc / VW if cyc else None,
            'width': width, 'classes': cls, 'error': err,
            'top': counts.most_common(4)}


def fmt_row(key, r):
    if r['error']:
        return '%-20s  %s' % (key, r['error'])
    cls = ' '.join('%s:%d' % kv for kv in r['classes'].items())
    top = ' '.join('%s:%d' % kv for kv in r['top'])
    return '%-20s %6.2f %7.3f  %s  %-28s %s' % (key, r['instructions_per_elem'],
                                               r['cycles_per_elem'], r['width'], cls, top)


def objdump_loops(path):
    """The loops of a pocl-compiled kernel .so, as llvm-mca input."""
    dis = subprocess.run([tool('objdump'), '-d', '--no-show-raw-insn', path],
                         capture_output=True, text=True, check=True).stdout
    ins = []
    for line in dis.splitlines():
        m = re.match(r'^\s+([0-9a-f]+):\s+(\S.*)$', line)
        if m:
            ins.append((int(m.group(1), 16), m.group(2).split('<')[0].strip()))
    loops = []
    for i, (addr, text) in enumerate(ins):
        m = re.match(r'^(j[a-z]+)\s+([0-9a-f]+)$', text)
        if not m or int(m.group(2), 16) >= addr:
            continue
        start = int(m.group(2), 16)
        body = [t for a, t in ins if start <= a < addr and 'nop' not in t]
        body = ['\t' + re.sub(r'^(j[a-z]+)\s+[0-9a-f]+$', r'\1 .Lloop', t) for t in body]
        loops.append((start, body + ['\t%s .Lloop' % m.group(1)]))
    return loops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cpu', default=','.join(CPUS), help='comma-separated -mcpu list')
    ap.add_argument('--act', help='comma-separated activations (default: all)')
    ap.add_argument('--dir', choices=['fwd', 'bwd', 'both'], default='both')
    ap.add_argument('--show', help='print the loop of ACT.fwd|bwd for each CPU')
    ap.add_argument('--json', action='store_true', help='one JSON object instead of the table')
    ap.add_argument('--so', help="model the loops of a pocl-compiled kernel .so instead")
    ap.add_argument('--cl', default=CL, help='the kernel sources (default: this tree\'s cl/; '
                    'another checkout\'s to compare)')
    ap.add_argument('--keep', help='keep the sources and assembly in this directory')
    args = ap.parse_args()
    cpus = args.cpu.split(',')
    for c in cpus:
        if c not in CPUS:
            sys.exit('kernel-cost: unknown CPU %s (one of %s)' % (c, ', '.join(CPUS)))

    if args.so:
        cpu = cpus[0] if args.cpu != ','.join(CPUS) else 'skylake-avx512'
        print('# loops of %s, llvm-mca -mcpu=%s; per element if one iteration is one '
              'item of VW = %d' % (args.so, cpu, VW))
        for start, body in objdump_loops(args.so):
            r = analyse(['.Lloop:'] + body, cpu)
            print(fmt_row('loop@%x (%d ins)' % (start, len(body)), r))
            if args.show:
                print('\n'.join(body))
        return

    acts = activations(args.cl)
    if args.act:
        want = args.act.split(',')
        acts = [a for a in acts if a[0] in want]
    dirs = ['fwd', 'bwd'] if args.dir == 'both' else [args.dir]
    work = args.keep or tempfile.mkdtemp(prefix='kernel-cost.')
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, 'cost.cl')
    with open(src, 'w') as f:
        f.write(PRELUDE)
        for s in SOURCES:
            f.write(open(os.path.join(args.cl, s)).read() + '\n')
        f.write(wrapper(acts))

    results = {}
    for cpu in cpus:
        funcs = functions(compile_asm(src, cpu, work))
        for name, *_ in acts:
            for d in dirs:
                body = innermost_loop(funcs.get('cost_%s_%s' % (name, d), []))
                key = '%s.%s' % (name, d)
                results.setdefault(key, {})[cpu] = analyse(body, cpu)
                if args.show == key:
                    print('# %s on %s' % (key, cpu))
                    print('\n'.join(body))
    if not args.keep:
        shutil.rmtree(work)

    if args.json:
        json.dump(results, sys.stdout, indent=1)
        print()
        return
    print('# per element (VW = %d per loop iteration); cycles: llvm-mca, one core, '
          'data in L1' % VW)
    for cpu in cpus:
        std = MCA_STANDIN.get(cpu)
        print('\n## %s%s' % (cpu, ' (modelled as %s with zmm split in two halves)' % std
                             if std else ''))
        print('%-20s %6s %7s  %s  %-28s %s' % ('kernel', 'ins/el', 'cyc/el', 'reg',
                                               'classes', 'top mnemonics'))
        for key in results:
            print(fmt_row(key, results[key][cpu]))


if __name__ == '__main__':
    main()
