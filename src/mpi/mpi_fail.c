/* Messages of libnnact-cl-mpi (mpi_fail.h). */
#include "mpi_fail.h"

#include <stdarg.h>
#include <stdio.h>

nnact_status nnact_mpi_failf(nnact_status status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nnact_set_error(status, msg);
}

nnact_status nnact_mpi_fail_rc(int rc, const char *fn, const char *what)
{
    char err[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, err, &len) != MPI_SUCCESS)
        snprintf(err, sizeof err, "MPI error %d", rc);
    return nnact_mpi_failf(NNACT_ERR_COMM, "%s: %s: %s", fn, what, err);
}
