#!/bin/sh
# bench-ab: two builds' nnact-bench alternated, for timings on a shared
# machine, where one run's figure says more about the neighbours' load
# than about the kernel. Each round runs A then B (then B then A on the
# next round, so neither always goes first), both with --json and --vs
# onednn when that is built in, with `uptime` printed beside every round;
# at the end, per op, the median over rounds of each build's median time,
# its spread (min-max of the round medians), the median of new/old (B/A,
# per round, < 1: B faster) and of each build's ours/oneDNN time (< 1:
# faster than oneDNN; oneDNN runs right after ours in every repetition,
# so that ratio carries the least load noise).
#
# A build may carry environment settings after commas, to alternate one
# build under two settings:
#
#   tools/bench-ab.sh OLD_BUILD NEW_BUILD ROUNDS [nnact-bench options...]
#   tools/bench-ab.sh ../wt-base/build-base build-x 5 --op softmax --reps 7
#   tools/bench-ab.sh build-x,NNACT_STREAM=1 build-x,NNACT_STREAM=0 5 --op tanh
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 OLD_BUILD NEW_BUILD ROUNDS [nnact-bench options]" >&2
    exit 2
fi
a=$1 b=$2 rounds=$3
shift 3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dir_of() { echo "${1%%,*}"; }
env_of() { case $1 in *,*) echo "${1#*,}" | tr ',' ' ' ;; esac; }
vs=
if "$(dir_of "$a")/tools/nnact-bench" --help 2>&1 | grep -q -- '--vs onednn'; then vs='--vs onednn'; fi
r=1
while [ "$r" -le "$rounds" ]; do
    first=$a second=$b
    if [ $((r % 2)) -eq 0 ]; then first=$b second=$a; fi
    for build in "$first" "$second"; do
        tag=A; [ "$build" = "$b" ] && tag=B
        echo "round $r $tag: $(uptime)"
        # shellcheck disable=SC2046,SC2086
        env $(env_of "$build") "$(dir_of "$build")/tools/nnact-bench" --json $vs "$@" |
            sed "s/^/$r $tag /" >>"$out/runs"
    done
    r=$((r + 1))
done
/usr/bin/python3 - "$out/runs" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    rnd, tag, js = line.split(' ', 2)
    d = json.loads(js)
    if 'op' not in d or 'device_ms_median' not in d:
        continue
    key = '%s %sx%s' % (d['op'], d['rows'], d['cols'])
    rows.setdefault(key, {}).setdefault(rnd, {})[tag] = d
med = statistics.median
print('%-28s %8s %15s %8s %15s %7s %6s %6s' % ('op', 'A ms', 'A min-max', 'B ms', 'B min-max',
                                            'B/A', 'A/dnn', 'B/dnn'))
for key, rnds in rows.items():
    both = [v for v in rnds.values() if 'A' in v and 'B' in v]
    if not both:
        continue
    ta = [v['A']['device_ms_median'] for v in both]
    tb = [v['B']['device_ms_median'] for v in both]
    ratio = med([y / x for x, y in zip(ta, tb)])
    def dnn(t):
        r = [1 / v[t]['ratio_onednn'] for v in both if v[t].get('ratio_onednn')]
        return '%6.2f' % med(r) if r else '     -'
    print('%-28s %8.3f %7.3f-%-7.3f %8.3f %7.3f-%-7.3f %7.3f %s %s' % (
        key, med(ta), min(ta), max(ta), med(tb), min(tb), max(tb), ratio, dnn('A'), dnn('B')))
print('(%d rounds; A = old, B = new; dnn = ours / oneDNN time, median over rounds)' % len(both))
EOF
