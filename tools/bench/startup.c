/* nnact-bench --op startup: a fresh process (this program again, with
 * --startup-child) to its first activation result, with warm caches and
 * with empty ones (pocl's kernel cache and the library's binary cache in a
 * new temporary directory). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int bench_startup_child(const char *selector)
{
    nnact_ctx *ctx;
    nnact_tensor *x, *y;
    nnact_act relu = {NNACT_ACT_RELU, 0, 0};
    float h[64] = {0};
    if (nnact_ctx_create(&ctx, selector) || nnact_tensor_create(ctx, 8, 8, &x) ||
        nnact_tensor_create(ctx, 8, 8, &y) || nnact_tensor_write(x, h) ||
        nnact_act_forward(ctx, &relu, x, y) || nnact_tensor_read(y, h))
        return 1;
    nnact_tensor_destroy(x);
    nnact_tensor_destroy(y);
    nnact_ctx_destroy(ctx);
    return 0;
}

static double spawn_startup(const char *self, const char *selector, const char *cache)
{
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        if (cache) {
            setenv("POCL_CACHE_DIR", cache, 1);
            setenv("HOME", cache, 1);
            setenv("XDG_CACHE_HOME", cache, 1);
            setenv("NNACT_CACHE_DIR", cache, 1);
        }
        execl(self, self, "--startup-child", selector ? selector : "", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double t = bench_now() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : NAN;
}

void bench_startup(bench *b, const char *ops, const char *selector)
{
    if (!bench_wanted(ops, "startup", "startup"))
        return;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    spawn_startup(self, selector, NULL); /* fill the caches */
    double warm[5];
    for (int i = 0; i < 5; i++)
        warm[i] = spawn_startup(self, selector, NULL);
    char tmpl[] = "/tmp/nnact-bench-cold-XXXXXX";
    char *dir = mkdtemp(tmpl);
    double cold = dir ? spawn_startup(self, selector, dir) : NAN;
    if (dir) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "nnact-bench: could not remove %s\n", dir);
    }
    double wm = bench_median(warm, 5);
    if (b->json)
        printf("{\"op\":\"startup\",\"warm_ms_median\":%.1f,\"cold_ms\":%.1f}\n", wm * 1e3,
               cold * 1e3);
    else
        printf("\nStart-up, fresh process to first relu result: warm caches %.1f ms "
               "(median of 5), empty caches %.1f ms\n", wm * 1e3, cold * 1e3);
}
