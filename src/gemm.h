/* The GEMM floor (src/gemm/): CLBlast, its parameters (tuning files, the
 * shipped database) and its program cache. */
#ifndef NNACT_GEMM_H
#define NNACT_GEMM_H

#include "tensor.h"

/* ---- CLBlast parameters (tuning.c, a leaf; blas.c applies them) ---- */
/* Receives one parsed "Kernel NAME=V ..." entry. */
typedef nnact_status (*nnact_param_fn)(void *user, const char *kernel, size_t n,
                                       const char **names, const size_t *values);
/* Parses parameter text (lines or ';'-separated entries, '#' comments) and
 * passes each entry to fn (NULL: syntax check only); origin names the text
 * in messages. */
nnact_status nnact_tuning_parse(const char *text, const char *origin, nnact_param_fn fn,
                                void *user);
/* Looks the device up in database text (src/gemm/tuning.db's format): on a hit,
 * params receives the entry's parameters and cls its match fields. Lines that
 * do not parse, or name another CLBlast version, are misses. Pure. */
bool nnact_tuning_db_find(const char *db, const nnact_device_info *info,
                          const char *clblast, char *params, size_t pcap, char *cls,
                          size_t ccap);
/* The database text: NNACT_TUNING_DB=FILE, else the one built in (origin
 * says which); NULL when switched off (NNACT_TUNING_DB=0). *owned is set
 * when it must be freed. */
const char *nnact_tuning_database(char **owned, char *origin, size_t cap);
/* At context creation: chooses the parameter source (see tuning.c) and
 * keeps the text for the first SGEMM. */
nnact_status nnact_load_tuning(nnact_ctx *ctx);

/* ---- CLBlast's program cache (clblast_cache.c) ---- */
/* Counts the contexts alive on each device (thread-safe); closing the last
 * one empties CLBlast's program cache. opened returns false (and counts
 * nothing) when out of memory. */
bool nnact_clblast_ctx_opened(cl_device_id device);
void nnact_clblast_ctx_closed(cl_device_id device);

/* ---- CLBlast (blas.c) ---- */
nnact_status nnact_fail_clblast(int status, const char *what);
/* nnact_gemm after its checks (shapes already known to fit). */
nnact_status nnact_gemm_body(nnact_ctx *ctx, nnact_transpose trans_a,
                             nnact_transpose trans_b, float alpha, const nnact_tensor *a,
                             const nnact_tensor *b, float beta, nnact_tensor *c);

/* CLBlast's temporary-buffer size for one SGEMM call shape (blas.c). */
#define NNACT_GEMM_SIZES 16
typedef struct nnact_gemm_size {
    size_t key[10], bytes;
    bool valid;
} nnact_gemm_size;

#endif
