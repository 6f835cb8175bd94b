/* What the command-line tools share: one way to handle a library call that
 * fails. Each program prints the failure in its own established form (its
 * tests and man pages quote it) by defining tool_report once; TOOL_TRY then
 * does what the call site says (goto out; exit(1); ...). */
#ifndef NNACT_TOOL_H
#define NNACT_TOOL_H

#include <nnact.h>

/* Prints that `call` (its source text) returned st; nnact_last_error() still
 * holds the library's message. Defined by each program. */
void tool_report(const char *call, nnact_status st);

#define TOOL_TRY(call, on_fail)                                                      \
    do {                                                                             \
        nnact_status tool_st_ = (call);                                              \
        if (tool_st_ != NNACT_OK) {                                                  \
            tool_report(#call, tool_st_);                                            \
            on_fail;                                                                 \
        }                                                                            \
    } while (0)

#endif
