/* An OpenCL fault injector for tests: clfault.c defines the OpenCL entry
 * points the library and CLBlast use, counts their calls, fails the N-th
 * call of one of them on request, and counts live OpenCL objects. It works
 * by symbol interposition: linked into an executable built with
 * export_dynamic, its definitions come first in the global lookup scope
 * (ahead of libOpenCL), and each forwards to the real function found with
 * dlsym(RTLD_NEXT). No library code changes; valgrind and ASan see it all. */
#ifndef NNACT_CLFAULT_H
#define NNACT_CLFAULT_H

#include <CL/cl.h>
#include <stdbool.h>

/* The entry points that can be made to fail. */
typedef enum clf_entry {
    CLF_CREATE_CONTEXT,
    CLF_CREATE_QUEUE,
    CLF_CREATE_BUFFER,
    CLF_CREATE_PROGRAM,
    CLF_BUILD_PROGRAM,
    CLF_CREATE_KERNEL,
    CLF_ENQUEUE_KERNEL,
    CLF_ENQUEUE_READ,
    CLF_ENQUEUE_WRITE,
    CLF_ENQUEUE_COPY,
    CLF_ENQUEUE_FILL,
    CLF_FINISH,
    CLF_COUNT
} clf_entry;

/* Kinds of OpenCL object whose references are counted. */
typedef enum clf_object { CLF_MEM, CLF_KERNEL, CLF_PROGRAM, CLF_EVENT, CLF_OBJECTS } clf_object;

/* "clCreateBuffer" etc. */
const char *clf_name(clf_entry e);
const char *clf_object_name(clf_object o);
/* Zeroes the call counters. */
void clf_reset(void);
/* Calls of e since the last clf_reset. */
unsigned long clf_calls(clf_entry e);
/* From now on, the n-th call of e (counted since the last clf_reset,
 * n >= 1) returns err without reaching the driver. */
void clf_arm(clf_entry e, unsigned long n, cl_int err);
void clf_disarm(void);
/* Whether the armed fault has been delivered. */
bool clf_fired(void);
/* References held on objects of kind o: creations and retains minus
 * releases, over the whole process. */
long clf_live(clf_object o);

#endif
