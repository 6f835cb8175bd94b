/* The OpenCL fault injector (see clfault.h). Each wrapper counts the call,
 * fails it when it is the armed one, otherwise forwards to the next
 * definition (libOpenCL's) and tracks object references on success. */
#define _GNU_SOURCE
#include "clfault.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const names[CLF_COUNT] = {
    [CLF_CREATE_CONTEXT] = "clCreateContext",
    [CLF_CREATE_QUEUE] = "clCreateCommandQueue",
    [CLF_CREATE_BUFFER] = "clCreateBuffer",
    [CLF_CREATE_PROGRAM] = "clCreateProgramWithSource",
    [CLF_BUILD_PROGRAM] = "clBuildProgram",
    [CLF_CREATE_KERNEL] = "clCreateKernel",
    [CLF_ENQUEUE_KERNEL] = "clEnqueueNDRangeKernel",
    [CLF_ENQUEUE_READ] = "clEnqueueReadBuffer",
    [CLF_ENQUEUE_WRITE] = "clEnqueueWriteBuffer",
    [CLF_ENQUEUE_COPY] = "clEnqueueCopyBuffer",
    [CLF_ENQUEUE_FILL] = "clEnqueueFillBuffer",
    [CLF_FINISH] = "clFinish",
};
static const char *const object_names[CLF_OBJECTS] = {"cl_mem", "cl_kernel", "cl_program",
                                                      "cl_event"};

static atomic_ulong calls[CLF_COUNT];
static atomic_long live[CLF_OBJECTS];
static atomic_int armed = -1; /* the entry to fail, -1: none */
static atomic_ulong armed_n;
static atomic_bool fired;
static cl_int armed_err;

const char *clf_name(clf_entry e) { return names[e]; }
const char *clf_object_name(clf_object o) { return object_names[o]; }
void clf_reset(void)
{
    for (int i = 0; i < CLF_COUNT; i++)
        calls[i] = 0;
}
unsigned long clf_calls(clf_entry e) { return calls[e]; }
void clf_arm(clf_entry e, unsigned long n, cl_int err)
{
    armed_err = err;
    armed_n = n;
    fired = false;
    armed = (int)e;
}
void clf_disarm(void) { armed = -1; }
bool clf_fired(void) { return fired; }
long clf_live(clf_object o) { return live[o]; }

/* Counts a call of e; true when it must fail. */
static bool hit(clf_entry e)
{
    unsigned long n = ++calls[e];
    if (armed == (int)e && n == armed_n) {
        fired = true;
        return true;
    }
    return false;
}

static void *next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "clfault: no next definition of %s\n", name);
        abort();
    }
    return f;
}

/* Declares the real function as a lazily resolved pointer named real. */
#define REAL(ret, name, params)                                                  \
    static ret(CL_API_CALL * real) params;                                       \
    if (!real)                                                                   \
        *(void **)&real = next(#name)

static void track(clf_object o, cl_int err, const void *obj)
{
    if (err == CL_SUCCESS && obj)
        live[o]++;
}

CL_API_ENTRY cl_context CL_API_CALL
clCreateContext(const cl_context_properties *props, cl_uint n, const cl_device_id *devs,
                void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *),
                void *user, cl_int *errcode_ret)
{
    REAL(cl_context, clCreateContext, (const cl_context_properties *, cl_uint,
         const cl_device_id *, void(CL_CALLBACK *)(const char *, const void *, size_t,
         void *), void *, cl_int *));
    if (hit(CLF_CREATE_CONTEXT)) {
        if (errcode_ret)
            *errcode_ret = armed_err;
        return NULL;
    }
    return real(props, n, devs, notify, user, errcode_ret);
}

CL_API_ENTRY cl_command_queue CL_API_CALL
clCreateCommandQueue(cl_context c, cl_device_id d, cl_command_queue_properties p,
                     cl_int *errcode_ret)
{
    REAL(cl_command_queue, clCreateCommandQueue, (cl_context, cl_device_id,
         cl_command_queue_properties, cl_int *));
    if (hit(CLF_CREATE_QUEUE)) {
        if (errcode_ret)
            *errcode_ret = armed_err;
        return NULL;
    }
    return real(c, d, p, errcode_ret);
}

CL_API_ENTRY cl_mem CL_API_CALL
clCreateBuffer(cl_context c, cl_mem_flags flags, size_t size, void *host, cl_int *errcode_ret)
{
    REAL(cl_mem, clCreateBuffer, (cl_context, cl_mem_flags, size_t, void *, cl_int *));
    if (hit(CLF_CREATE_BUFFER)) {
        if (errcode_ret)
            *errcode_ret = armed_err;
        return NULL;
    }
    cl_int err;
    cl_mem m = real(c, flags, size, host, &err);
    track(CLF_MEM, err, m);
    if (errcode_ret)
        *errcode_ret = err;
    return m;
}

CL_API_ENTRY cl_int CL_API_CALL clRetainMemObject(cl_mem m)
{
    REAL(cl_int, clRetainMemObject, (cl_mem));
    cl_int err = real(m);
    track(CLF_MEM, err, m);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseMemObject(cl_mem m)
{
    REAL(cl_int, clReleaseMemObject, (cl_mem));
    cl_int err = real(m);
    if (err == CL_SUCCESS)
        live[CLF_MEM]--;
    return err;
}

CL_API_ENTRY cl_program CL_API_CALL
clCreateProgramWithSource(cl_context c, cl_uint n, const char **srcs, const size_t *lens,
                          cl_int *errcode_ret)
{
    REAL(cl_program, clCreateProgramWithSource, (cl_context, cl_uint, const char **,
         const size_t *, cl_int *));
    if (hit(CLF_CREATE_PROGRAM)) {
        if (errcode_ret)
            *errcode_ret = armed_err;
        return NULL;
    }
    cl_int err;
    cl_program p = real(c, n, srcs, lens, &err);
    track(CLF_PROGRAM, err, p);
    if (errcode_ret)
        *errcode_ret = err;
    return p;
}

CL_API_ENTRY cl_program CL_API_CALL
clCreateProgramWithBinary(cl_context c, cl_uint n, const cl_device_id *devs,
                          const size_t *lens, const unsigned char **bins, cl_int *status,
                          cl_int *errcode_ret)
{
    REAL(cl_program, clCreateProgramWithBinary, (cl_context, cl_uint, const cl_device_id *,
         const size_t *, const unsigned char **, cl_int *, cl_int *));
    cl_int err;
    cl_program p = real(c, n, devs, lens, bins, status, &err);
    track(CLF_PROGRAM, err, p);
    if (errcode_ret)
        *errcode_ret = err;
    return p;
}

CL_API_ENTRY cl_int CL_API_CALL clRetainProgram(cl_program p)
{
    REAL(cl_int, clRetainProgram, (cl_program));
    cl_int err = real(p);
    track(CLF_PROGRAM, err, p);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseProgram(cl_program p)
{
    REAL(cl_int, clReleaseProgram, (cl_program));
    cl_int err = real(p);
    if (err == CL_SUCCESS)
        live[CLF_PROGRAM]--;
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clBuildProgram(cl_program p, cl_uint n, const cl_device_id *devs, const char *options,
               void(CL_CALLBACK *notify)(cl_program, void *), void *user)
{
    REAL(cl_int, clBuildProgram, (cl_program, cl_uint, const cl_device_id *, const char *,
         void(CL_CALLBACK *)(cl_program, void *), void *));
    if (hit(CLF_BUILD_PROGRAM))
        return armed_err;
    return real(p, n, devs, options, notify, user);
}

CL_API_ENTRY cl_kernel CL_API_CALL
clCreateKernel(cl_program p, const char *name, cl_int *errcode_ret)
{
    REAL(cl_kernel, clCreateKernel, (cl_program, const char *, cl_int *));
    if (hit(CLF_CREATE_KERNEL)) {
        if (errcode_ret)
            *errcode_ret = armed_err;
        return NULL;
    }
    cl_int err;
    cl_kernel k = real(p, name, &err);
    track(CLF_KERNEL, err, k);
    if (errcode_ret)
        *errcode_ret = err;
    return k;
}

CL_API_ENTRY cl_int CL_API_CALL clRetainKernel(cl_kernel k)
{
    REAL(cl_int, clRetainKernel, (cl_kernel));
    cl_int err = real(k);
    track(CLF_KERNEL, err, k);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseKernel(cl_kernel k)
{
    REAL(cl_int, clReleaseKernel, (cl_kernel));
    cl_int err = real(k);
    if (err == CL_SUCCESS)
        live[CLF_KERNEL]--;
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clRetainEvent(cl_event e)
{
    REAL(cl_int, clRetainEvent, (cl_event));
    cl_int err = real(e);
    track(CLF_EVENT, err, e);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseEvent(cl_event e)
{
    REAL(cl_int, clReleaseEvent, (cl_event));
    cl_int err = real(e);
    if (err == CL_SUCCESS)
        live[CLF_EVENT]--;
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint dim, const size_t *offset,
                       const size_t *global, const size_t *local, cl_uint nwait,
                       const cl_event *wait, cl_event *ev)
{
    REAL(cl_int, clEnqueueNDRangeKernel, (cl_command_queue, cl_kernel, cl_uint,
         const size_t *, const size_t *, const size_t *, cl_uint, const cl_event *,
         cl_event *));
    if (hit(CLF_ENQUEUE_KERNEL))
        return armed_err;
    cl_int err = real(q, k, dim, offset, global, local, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off, size_t n,
                    void *dst, cl_uint nwait, const cl_event *wait, cl_event *ev)
{
    REAL(cl_int, clEnqueueReadBuffer, (cl_command_queue, cl_mem, cl_bool, size_t, size_t,
         void *, cl_uint, const cl_event *, cl_event *));
    if (hit(CLF_ENQUEUE_READ))
        return armed_err;
    cl_int err = real(q, m, blocking, off, n, dst, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off, size_t n,
                     const void *src, cl_uint nwait, const cl_event *wait, cl_event *ev)
{
    REAL(cl_int, clEnqueueWriteBuffer, (cl_command_queue, cl_mem, cl_bool, size_t, size_t,
         const void *, cl_uint, const cl_event *, cl_event *));
    if (hit(CLF_ENQUEUE_WRITE))
        return armed_err;
    cl_int err = real(q, m, blocking, off, n, src, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueCopyBuffer(cl_command_queue q, cl_mem src, cl_mem dst, size_t soff, size_t doff,
                    size_t n, cl_uint nwait, const cl_event *wait, cl_event *ev)
{
    REAL(cl_int, clEnqueueCopyBuffer, (cl_command_queue, cl_mem, cl_mem, size_t, size_t,
         size_t, cl_uint, const cl_event *, cl_event *));
    if (hit(CLF_ENQUEUE_COPY))
        return armed_err;
    cl_int err = real(q, src, dst, soff, doff, n, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueFillBuffer(cl_command_queue q, cl_mem m, const void *pattern, size_t psize,
                    size_t off, size_t n, cl_uint nwait, const cl_event *wait, cl_event *ev)
{
    REAL(cl_int, clEnqueueFillBuffer, (cl_command_queue, cl_mem, const void *, size_t,
         size_t, size_t, cl_uint, const cl_event *, cl_event *));
    if (hit(CLF_ENQUEUE_FILL))
        return armed_err;
    cl_int err = real(q, m, pattern, psize, off, n, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL
clEnqueueMarkerWithWaitList(cl_command_queue q, cl_uint nwait, const cl_event *wait,
                            cl_event *ev)
{
    REAL(cl_int, clEnqueueMarkerWithWaitList, (cl_command_queue, cl_uint, const cl_event *,
         cl_event *));
    cl_int err = real(q, nwait, wait, ev);
    if (ev)
        track(CLF_EVENT, err, *ev);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clFinish(cl_command_queue q)
{
    REAL(cl_int, clFinish, (cl_command_queue));
    if (hit(CLF_FINISH))
        return armed_err;
    return real(q);
}
