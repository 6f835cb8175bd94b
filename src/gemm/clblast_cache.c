/* CLBlast's process-wide program cache, kept in step with the library's
 * contexts (a device-layer concern: the context registers itself here at
 * creation and leaves at destruction; the GEMM path never needs to). */
#include "internal.h"

#include <clblast_c.h>
#include <pthread.h>
#include <stdlib.h>

/* CLBlast keeps every program it builds in a process-wide cache, released
 * by a static destructor at exit. By then some implementations have torn
 * themselves down (Oclgrind 21.10 aborts with "corrupted double-linked
 * list"), and the cached programs keep their contexts alive meanwhile. So
 * the library counts its contexts per device and empties CLBlast's cache
 * once the last one is destroyed. CLBlast 1.5's C API clears every
 * device's programs at once (CLBlastClearCache), so while a context on
 * another device lives the cache is kept: clearing it would make that
 * context compile its GEMM kernels again (8 s on pocl). */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live_device {
    cl_device_id device;
    size_t contexts;
} *live;
static size_t live_n, live_cap;

bool nnact_clblast_ctx_opened(cl_device_id device)
{
    bool ok = true;
    pthread_mutex_lock(&live_lock);
    size_t i = 0;
    while (i < live_n && live[i].device != device)
        i++;
    if (i == live_n) {
        if (live_n == live_cap) {
            size_t cap = live_cap ? 2 * live_cap : 4;
            struct live_device *grown = realloc(live, cap * sizeof *grown);
            if (grown)
                live = grown, live_cap = cap;
        }
        if (live_n < live_cap)
            live[live_n++] = (struct live_device){device, 0};
        else
            ok = false;
    }
    if (ok)
        live[i].contexts++;
    pthread_mutex_unlock(&live_lock);
    return ok;
}

void nnact_clblast_ctx_closed(cl_device_id device)
{
    pthread_mutex_lock(&live_lock);
    size_t i = 0;
    while (i < live_n && live[i].device != device)
        i++;
    if (i < live_n && --live[i].contexts == 0) {
        live[i] = live[--live_n];
        if (live_n == 0) {
            CLBlastClearCache();
            free(live);
            live = NULL;
            live_cap = 0;
        }
    }
    pthread_mutex_unlock(&live_lock);
}
