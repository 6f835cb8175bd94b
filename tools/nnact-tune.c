/* nnact-tune: runs the library's CLBlast search (nnact_tune) for the selected
 * device, saves the winner as the device's tuning file, and prints the line
 * that adds it to the shipped database (src/gemm/tuning.db) for every machine of
 * the same class. */
#define _POSIX_C_SOURCE 200809L
#include <nnact.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: nnact-tune [--device SEL] [--fast]\n"
               "  Searches CLBlast SGEMM parameters for the device (the full search takes\n"
               "  minutes; --fast tries the proven sets in about 30 s), validates each\n"
               "  set on every shape against a host product, saves the fastest as this\n"
               "  device's tuning file (see nnact-info) and prints its database line.\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(void *user, double fraction, const char *what)
{
    (void)user;
    printf("  [%3.0f%%] %s\n", fraction * 100, what);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *selector = NULL;
    nnact_tune_level level = NNACT_TUNE_FULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            selector = argv[++i];
        else if (!strcmp(argv[i], "--fast") || !strcmp(argv[i], "--quick"))
            level = NNACT_TUNE_FAST;
        else {
            usage(!strcmp(argv[i], "--help") ? stdout : stderr);
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    setenv("NNACT_TUNING", "0", 1); /* start from CLBlast's own defaults */
    unsetenv("NNACT_CLBLAST_PARAMS");
    nnact_ctx *ctx;
    if (nnact_ctx_create(&ctx, selector)) {
        fprintf(stderr, "nnact-tune: %s\n", nnact_last_error());
        return 1;
    }
    printf("Tuning CLBlast SGEMM (%s search) for '%s'\n",
           level == NNACT_TUNE_FAST ? "fast" : "full", nnact_ctx_device(ctx)->device_name);
    double t0 = now();
    if (nnact_tune(ctx, level, progress, NULL)) {
        fprintf(stderr, "nnact-tune: %s\n", nnact_last_error());
        nnact_ctx_destroy(ctx);
        return 1;
    }
    printf("Done in %.0f s. Parameters: %s\n", now() - t0, nnact_ctx_tuning(ctx));
    /* The saved file holds the parameters after its '#' lines. */
    char path[2400], params[2048] = "", line[1024], db[4096];
    FILE *f = nnact_tuning_path(ctx, path, sizeof path) ? NULL : fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (line[0] != '#' && strlen(params) + strlen(line) < sizeof params)
            strcat(params, line);
    if (f)
        fclose(f);
    if (nnact_tuning_db_line(ctx, params, db, sizeof db) == NNACT_OK)
        printf("Database line (add it to src/gemm/tuning.db to ship it for this device "
               "class):\n%s\n", db);
    printf("Check with: nnact-bench --op sgemm\n");
    nnact_ctx_destroy(ctx);
    return 0;
}
