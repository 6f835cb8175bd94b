/* The NNACT_DEVICE selector: a pure function over device descriptions, so
 * the grammar is tested without hardware. Grammar (README.md, "Choosing a
 * device"): comma-separated alternatives tried in order, each auto | a type |
 * a vendor | pocl | P | P:D | a substring of the device or platform name;
 * the best-ranked device among an alternative's matches wins. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void lower_copy(char *dst, size_t cap, const char *src, size_t len)
{
    size_t i = 0;
    for (; i + 1 < cap && i < len; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static bool contains_ci(const char *hay, const char *needle_lower)
{
    char buf[256];
    lower_copy(buf, sizeof buf, hay, strlen(hay));
    return strstr(buf, needle_lower) != NULL;
}

/* needle as a whole word (letters and digits around it do not count). */
static bool has_word(const char *lower, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = strstr(lower, word); p; p = strstr(p + 1, word)) {
        bool left = p == lower || !isalnum((unsigned char)p[-1]);
        bool right = !isalnum((unsigned char)p[wl]);
        if (left && right)
            return true;
    }
    return false;
}

/* Normalises vendor strings such as "NVIDIA Corporation", "Advanced Micro
 * Devices, Inc.", "AuthenticAMD", "GenuineIntel", "Intel(R) Corporation",
 * "ARM", "Apple" to a keyword; NULL when unknown. */
const char *nnact_vendor_keyword(const char *vendor)
{
    char v[128];
    lower_copy(v, sizeof v, vendor, strlen(vendor));
    if (strstr(v, "nvidia"))
        return "nvidia";
    if (strstr(v, "advanced micro devices") || strstr(v, "authenticamd") ||
        has_word(v, "amd"))
        return "amd";
    if (strstr(v, "intel"))
        return "intel";
    if (has_word(v, "arm"))
        return "arm";
    if (strstr(v, "apple"))
        return "apple";
    return NULL;
}

static int type_rank(const nnact_device_info *d)
{
    switch (d->type) {
    case NNACT_DEVICE_GPU: return d->host_unified_memory ? 1 : 0;
    case NNACT_DEVICE_ACCELERATOR: return 2;
    case NNACT_DEVICE_CPU: return 3;
    default: return 4;
    }
}

/* Among CPU devices, a runtime that executes OpenCL vectors as SIMD
 * instructions (pocl, Intel's CPU runtime: native float width > 1) before
 * one that emulates a GPU on the CPU (Mesa's llvmpipe, width 1): our CPU
 * kernels are written for the first; softmax 64x64 took 6.2 ms per call on
 * llvmpipe, 0.034 ms on pocl, same 2 cores (README.md, "Choosing a device"). */
static int cpu_rank(const nnact_device_info *d)
{
    return d->type == NNACT_DEVICE_CPU && d->native_float_width <= 1;
}

/* true when a should be preferred over b by "auto". */
static bool better(const nnact_device_info *a, const nnact_device_info *b)
{
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb)
        return ra < rb;
    ra = cpu_rank(a), rb = cpu_rank(b);
    if (ra != rb)
        return ra < rb;
    if (a->global_mem_bytes != b->global_mem_bytes)
        return a->global_mem_bytes > b->global_mem_bytes;
    if (a->platform_index != b->platform_index)
        return a->platform_index < b->platform_index;
    return a->device_index < b->device_index;
}

const char *nnact_device_type_name(nnact_device_type t)
{
    switch (t) {
    case NNACT_DEVICE_CPU: return "cpu";
    case NNACT_DEVICE_GPU: return "gpu";
    case NNACT_DEVICE_ACCELERATOR: return "accelerator";
    default: return "other";
    }
}

/* Parses "P" or "P:D" (decimal). Returns the number of indices, 0 if not. */
static int parse_indices(const char *s, unsigned long *p, unsigned long *d)
{
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return 0;
    *p = strtoul(s, &end, 10);
    if (*end == '\0')
        return 1;
    if (*end != ':' || !isdigit((unsigned char)end[1]))
        return 0;
    *d = strtoul(end + 1, &end, 10);
    return *end == '\0' ? 2 : 0;
}

static bool matches(const nnact_device_info *d, const char *item)
{
    unsigned long p = 0, dev = 0;
    int nidx = parse_indices(item, &p, &dev);
    if (nidx == 1)
        return d->platform_index == p;
    if (nidx == 2)
        return d->platform_index == p && d->device_index == dev;
    if (!strcmp(item, "auto"))
        return true;
    if (!strcmp(item, "cpu") || !strcmp(item, "gpu") || !strcmp(item, "accelerator"))
        return !strcmp(item, nnact_device_type_name(d->type));
    if (!strcmp(item, "pocl"))
        return nnact_device_is_pocl(d);
    static const char *const vendors[] = {"nvidia", "amd", "intel", "arm", "apple"};
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
        if (!strcmp(item, vendors[i])) {
            const char *k = nnact_vendor_keyword(d->vendor);
            return k && !strcmp(k, item);
        }
    return contains_ci(d->device_name, item) || contains_ci(d->platform_name, item);
}

static void list_devices(char *buf, size_t cap, const nnact_device_info *devs, size_t n)
{
    size_t used = strlen(buf);
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s %u:%u %s '%s' on '%s'",
                         i ? ";" : "", devs[i].platform_index, devs[i].device_index,
                         nnact_device_type_name(devs[i].type), devs[i].device_name,
                         devs[i].platform_name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

nnact_status nnact_select_from(const nnact_device_info *devs, size_t n,
                               const char *selector, size_t *chosen,
                               char *why, size_t why_cap)
{
    if (!chosen || (!devs && n))
        return nnact_fail(NNACT_ERR_INVALID_ARG, "device selection: NULL argument");
    if (!selector)
        selector = "";
    const char *sel = selector;
    while (isspace((unsigned char)*sel))
        sel++;
    if (!*sel)
        sel = "auto";

    for (const char *item = sel; *item;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        const char *next = comma ? comma + 1 : item + len;
        while (len && isspace((unsigned char)*item))
            item++, len--;
        while (len && isspace((unsigned char)item[len - 1]))
            len--;
        char key[256];
        lower_copy(key, sizeof key, item, len);
        if (key[0]) {
            size_t best = n;
            for (size_t i = 0; i < n; i++)
                if (matches(&devs[i], key) && (best == n || better(&devs[i], &devs[best])))
                    best = i;
            if (best < n) {
                *chosen = best;
                if (why && why_cap)
                    snprintf(why, why_cap,
                             "selector '%s': alternative '%s' chose %u:%u %s '%s' on '%s' "
                             "(best ranked of its matches: discrete GPU, GPU, "
                             "accelerator, CPU with native vectors, other CPU; then memory; "
                             "then index)",
                             selector, key, devs[best].platform_index,
                             devs[best].device_index, nnact_device_type_name(devs[best].type),
                             devs[best].device_name, devs[best].platform_name);
                return NNACT_OK;
            }
        }
        item = next;
    }

    char msg[4096];
    if (n == 0) {
        snprintf(msg, sizeof msg, "no OpenCL device matches selector '%s': "
                 "no devices exist", selector);
    } else {
        snprintf(msg, sizeof msg, "no OpenCL device matches selector '%s'; devices:",
                 selector);
        list_devices(msg, sizeof msg, devs, n);
    }
    return nnact_fail(NNACT_ERR_DEVICE_NOT_FOUND, "%s", msg);
}
