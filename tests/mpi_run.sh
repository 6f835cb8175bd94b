#!/bin/sh
# Runs an MPI test program under mpirun with the Open MPI settings a
# container as root needs, always under timeout, so a hang is a failure:
#   mpi_run.sh ok|fail NP MPIRUN PROGRAM [ARGS...]
# ok: every rank must exit 0. fail: the run must stop with an error (a
# rank's MPI_Abort) within the timeout, every rank with it.
set -u
expect=$1 np=$2 mpirun=$3
shift 3
. "$(dirname "$0")/mpi_env.sh"
unset POCL_DEVICES
limit=${NNACT_MPI_TIMEOUT:-240}
start=$(date +%s)
timeout -k 10 "$limit" "$mpirun" -np "$np" "$@"
rc=$?
took=$(( $(date +%s) - start ))
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "mpi_run.sh: HANG: -np $np $* still ran after ${limit}s" >&2
    exit 1
fi
case $expect in
ok)
    [ "$rc" -eq 0 ] || echo "mpi_run.sh: -np $np $* failed (exit $rc) after ${took}s" >&2
    exit "$rc" ;;
fail)
    if [ "$rc" -eq 0 ]; then
        echo "mpi_run.sh: -np $np $* succeeded, but a rank was meant to fail" >&2
        exit 1
    fi
    echo "mpi_run.sh: every rank stopped (exit $rc) after ${took}s, as meant"
    exit 0 ;;
esac
echo "mpi_run.sh: unknown expectation '$expect'" >&2
exit 2
