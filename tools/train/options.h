/* nnact-train's command line: the options, their defaults and checks. A
 * new option is a field here, a line of usage() (and of the man page,
 * doc/man/nnact-train.1: the man-pages test compares them) and a branch of
 * parse_args. */
#ifndef NNACT_TRAIN_OPTIONS_H
#define NNACT_TRAIN_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct options {
    const char *data, *layers, *act, *optimizer, *device, *save, *load, *history, *schedule;
    const char *tune, *storage, *devices, *reduce;
    int epochs, batch, check_replicas, distributed;
    float lr;
    uint64_t seed;
    int epochs_given, layers_given, profile;
} options;

/* Fills o from argv (--help prints the usage and exits 0). Returns 0 after
 * a message naming the bad option or value, else 1. */
int parse_args(int argc, char **argv, options *o);

/* --layers: comma-separated sizes, each an integer >= 1. Returns a malloc'd
 * array (its length in *n), or NULL after printing what is wrong. */
size_t *parse_layers(const char *s, size_t *n);

#endif
