#!/bin/sh
# nnact-train against bad flags, hostile files and runs that do nothing
# useful: each must stop with a message naming the problem and a non-zero
# exit status (2 for flags, 1 otherwise), never crash or exit 0.
# Usage: train_cli.sh NNACT_TRAIN GEN_FILE
train=$1 gen=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fails=0

# expect STATUS TEXT ARGS...: the exit status is STATUS and TEXT appears in
# the output (stdout and stderr).
expect() {
    want=$1 text=$2
    shift 2
    "$train" "$@" >"$dir/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ] || ! grep -qF -- "$text" "$dir/out"; then
        echo "FAIL: nnact-train $*: exit $got (want $want), output lacks '$text' or is:"
        sed 's/^/    /' "$dir/out"
        fails=$((fails + 1))
    else
        echo "ok: nnact-train $* -> $got, '$text'"
    fi
}

# Flags: non-numbers and negative sizes, named.
expect 2 "bad value '784,-5,10' for --layers: '-5'" --layers 784,-5,10
expect 2 "bad value '2,,3' for --layers" --layers 2,,3
expect 2 "bad value 'abc' for --seed" --seed abc
expect 2 "bad value '-3' for --seed" --seed -3
expect 2 "bad value '1x' for --epochs" --epochs 1x
expect 2 "bad value '0' for --batch" --batch 0
expect 2 "bad value 'nan' for --lr" --lr nan
expect 2 "bad value 'f8' for --storage (want f32 or f16)" --storage f8

# Runs that would do nothing useful.
expect 1 "--batch 5000 is larger than the 3000 training samples" \
    --data spiral --epochs 1 --batch 5000
expect 1 "training diverged in epoch 1" \
    --data spiral --epochs 2 --optimizer sgd --lr 1e30
mkdir "$dir/empty"
"$gen" idx "$dir/empty/train-images-idx3-ubyte" 0 1 2 &&
"$gen" idx "$dir/empty/train-labels-idx1-ubyte" 0 &&
"$gen" idx "$dir/empty/t10k-images-idx3-ubyte" 4 1 2 &&
"$gen" idx "$dir/empty/t10k-labels-idx1-ubyte" 4 || exit 1
expect 1 "holds no images: nothing to train on" \
    --data "$dir/empty" --layers 2,3 --epochs 1

# Model files: more layers than any fixed array held (read whole), and a
# valid CRC around a NaN weight.
"$gen" model "$dir/deep.nnmlp" 100 && "$gen" model "$dir/nan.nnmlp" 3 nan || exit 1
expect 0 "evaluation: test loss" --data spiral --load "$dir/deep.nnmlp"
expect 1 "is corrupt: layer 1 W[1] is nan (parameters must be finite)" \
    --data spiral --load "$dir/nan.nnmlp"

# The last partial batch trains: 3000 samples in batches of 2999 are two
# steps per epoch, and the run succeeds.
expect 0 "result: dataset=spiral epochs=1" --data spiral --epochs 1 --batch 2999
# Half storage trains too (and says nothing went wrong).
expect 0 "result: dataset=spiral epochs=1" --data spiral --epochs 1 --storage f16

[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
