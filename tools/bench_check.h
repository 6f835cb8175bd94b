/* nnact-bench's parts exit on a library error with its specific message. */
#ifndef NNACT_BENCH_CHECK_H
#define NNACT_BENCH_CHECK_H

#include <nnact.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK_NN(call)                                                               \
    do {                                                                             \
        nnact_status s_ = (call);                                                    \
        if (s_ != NNACT_OK) {                                                        \
            fprintf(stderr, "nnact-bench: %s: %s: %s\n", #call,                      \
                    nnact_status_string(s_), nnact_last_error());                    \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#endif
