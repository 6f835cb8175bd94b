/* libnnact-cl-mpi's failures, left as the core library's own
 * (nnact_set_error), so an application reads one nnact_last_error(). The
 * layer sees only the public nnact.h: it sits above the model. */
#ifndef NNACT_MPI_FAIL_H
#define NNACT_MPI_FAIL_H

#include <nnact_mpi.h>

#if defined(__GNUC__)
#define NNACT_MPI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNACT_MPI_PRINTF(f, a)
#endif

/* A formatted message as the calling thread's last error; returns status. */
nnact_status nnact_mpi_failf(nnact_status status, const char *fmt, ...) NNACT_MPI_PRINTF(2, 3);
/* NNACT_ERR_COMM with "fn: what: " and MPI_Error_string of rc. */
nnact_status nnact_mpi_fail_rc(int rc, const char *fn, const char *what);

#endif
