#!/bin/sh
# nnact-train's data parallelism on the spiral set, every run under timeout:
#   train_parallel.sh devices NNACT-TRAIN NNACT-INFO
#     --devices on two pocl devices in one process: replicas checked after
#     every step, reruns byte-identical, uneven shards and a partial batch;
#   train_parallel.sh mpi NNACT-TRAIN NNACT-INFO MPIRUN
#     mpirun -np 2 in rank order byte-identical to --devices with two
#     replicas, -np 3 (uneven shards, a partial last batch) reproducible,
#     MPI's own sum with the replicas checked, a different --layers on one
#     rank and a failing rank stopping every rank with the cause.
set -u
mode=$1 train=$2 info=$3
mpirun=${4:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "train_parallel.sh: $*" >&2; exit 1; }
common="--data spiral --epochs 2 --lr 0.02 --tune off --check-replicas 1"

# The two pocl devices of POCL_DEVICES="pthread pthread", by their index.
pocl_devices() {
    POCL_DEVICES="pthread pthread" "$info" 2>/dev/null |
        awk '/Portable Computing Language/ && $1 ~ /^[0-9]+:[0-9]+$/ { d = d s $1; s = "," }
             END { print d }' | cut -d, -f1,2
}

run() { # name, then nnact-train's arguments: output in $dir/name.out
    name=$1
    shift
    POCL_DEVICES="pthread pthread" POCL_MAX_PTHREAD_COUNT=1 \
        timeout 300 "$train" $common "$@" >"$dir/$name.out" 2>&1 ||
        { cat "$dir/$name.out"; fail "$name: nnact-train $* failed"; }
    grep -q "replicas=2" "$dir/$name.out" || { cat "$dir/$name.out"; fail "$name: not 2 replicas"; }
}

devs=$(pocl_devices)
case $devs in *,*) ;; *) fail "two pocl devices wanted, nnact-info lists '$devs'" ;; esac

if [ "$mode" = devices ]; then
    run a --batch 64 --devices "$devs" --save "$dir/a.nnact"
    run b --batch 64 --devices "$devs" --save "$dir/b.nnact"
    cmp "$dir/a.nnact" "$dir/b.nnact" || fail "--devices reruns wrote different models"
    grep -q "comm .* ms/step" "$dir/a.out" || fail "the epoch line lacks the comm time"
    run odd --batch 61 --devices "$devs" --storage f16 # 31 + 30 rows, 11 in the last batch
    echo "train_parallel.sh: --devices $devs: replicas equal after every step, reruns identical"
    exit 0
fi

[ "$mode" = mpi ] || fail "unknown mode '$mode'"
. "$(dirname "$0")/mpi_env.sh"
mpi() { # name, expectation (ok|fail), then mpirun's arguments
    name=$1 want=$2
    shift 2
    start=$(date +%s)
    (unset POCL_DEVICES; timeout -k 10 240 "$mpirun" "$@") >"$dir/$name.out" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || { cat "$dir/$name.out"; fail "$name: HANG"; }
    if [ "$want" = ok ] && [ $rc -ne 0 ]; then
        cat "$dir/$name.out"; fail "$name: mpirun $* failed (exit $rc)"
    fi
    if [ "$want" = fail ] && [ $rc -eq 0 ]; then
        cat "$dir/$name.out"; fail "$name: mpirun $* succeeded, but a rank was meant to fail"
    fi
    echo "train_parallel.sh: $name: exit $rc after ${took}s"
}
run devices --batch 64 --devices "$devs" --reduce ordered --save "$dir/devices.nnact"
mpi np2 ok -np 2 "$train" $common --batch 64 --reduce ordered --save "$dir/np2.nnact"
cmp "$dir/devices.nnact" "$dir/np2.nnact" ||
    fail "mpirun -np 2 --reduce ordered differs from --devices $devs --reduce ordered"
grep -q "ranks=2 replicas=2 global_batch=64" "$dir/np2.out" || { cat "$dir/np2.out"; fail "np2: result line"; }
mpi np3a ok -np 3 "$train" $common --batch 61 --reduce ordered --save "$dir/np3a.nnact"
mpi np3b ok -np 3 "$train" $common --batch 61 --reduce ordered --save "$dir/np3b.nnact"
cmp "$dir/np3a.nnact" "$dir/np3b.nnact" || fail "mpirun -np 3 reruns wrote different models"
mpi np2mpi ok -np 2 "$train" $common --batch 64 --reduce mpi --storage f16
# A different --layers on rank 1: every rank names it. (No --tune in the
# second context: mpirun would take it for its own option.)
other="--data spiral --epochs 2"
mpi layers fail -np 1 "$train" $other : -np 1 "$train" $other --layers 2,32,3
[ "$(grep -c "rank 1's model differs from rank 0's" "$dir/layers.out")" -eq 2 ] ||
    { cat "$dir/layers.out"; fail "layers: not every rank named rank 1"; }
# A failing rank (a bad --optimizer on rank 1) stops rank 0 too.
mpi failing fail -np 1 "$train" $other : -np 1 "$train" $other --optimizer bogus
grep -q "unknown optimizer 'bogus'" "$dir/failing.out" && grep -q "rank 1 of 2 failed" \
    "$dir/failing.out" || { cat "$dir/failing.out"; fail "failing: the cause is not named"; }
echo "train_parallel.sh: mpirun -np 2 ordered = --devices $devs ordered; -np 3 reruns identical"
