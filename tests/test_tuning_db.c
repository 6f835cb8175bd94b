/* The shipped tuning database (src/gemm/tuning.db) and its lookup, without a
 * device: every entry parses and is found for a device of its class, a
 * lookup matches the class exactly (prefix from the start, exact names,
 * compute units, CLBlast version), and damaged lines are misses. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"
#include "testutil.h"
#include "tuning_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nnact_device_info device(const char *name, unsigned cu)
{
    nnact_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.device_name, sizeof d.device_name, "%s", name);
    d.compute_units = cu;
    return d;
}

static bool find(const char *db, const char *name, unsigned cu, const char *v, char *params)
{
    char cls[300];
    nnact_device_info d = device(name, cu);
    return nnact_tuning_db_find(db, &d, v, params, 2048, cls, sizeof cls);
}

START_TEST(every_shipped_entry_parses_and_matches_its_class)
{
    char *db = strdup(nnact_tuning_db), *save = NULL;
    size_t entries = 0;
    for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!*line || *line == '#')
            continue;
        entries++;
        char match[256], version[32], params[2048];
        ck_assert_msg(sscanf(line, "%255[^|]| cu=* | clblast=%31[^ |] |", match, version) == 2,
                      "line '%s' is not 'match | cu=* | clblast=V | params'", line);
        for (size_t n = strlen(match); n && match[n - 1] == ' ';) /* names may hold spaces */
            match[--n] = '\0';
        const char *eq = strchr(match, '=');
        ck_assert_msg(eq, "line '%s': no match field", line);
        char name[256];
        snprintf(name, sizeof name, "%s%s", eq + 1,
                 !strncmp(match, "name-prefix=", 12) ? "Some CPU model" : "");
        ck_assert_msg(find(nnact_tuning_db, name, 2, version, params),
                      "line '%s' is not found for '%s'", line, name);
        ck_assert_int_eq(nnact_tuning_parse(params, "test", NULL, NULL), NNACT_OK);
        ck_assert_msg(strstr(params, "Xgemm "), "line '%s' has no Xgemm set", line);
    }
    ck_assert_msg(entries >= 1, "the shipped database is empty");
    free(db);
}
END_TEST

START_TEST(lookup_matches_the_class_only)
{
    const char *db = "# comment\n"
                     "name-prefix=pthread-skylake- | cu=* | clblast=1.5.3 | Xgemm A=1\n"
                     "name-prefix=pthread-skylake-avx512- | cu=* | clblast=1.5.3 | Xgemm A=2\n"
                     "name=GPU X | cu=80 | clblast=1.5.3 | Xgemm A=3\n"
                     "name=GPU X | cu=* | clblast=1.6.0 | Xgemm A=4\n"
                     "name=Broken | cu=* | clblast=1.5.3 | Xgemm A\n"
                     "name=Short | clblast=1.5.3 | Xgemm A=5\n";
    char p[2048];
    ck_assert(find(db, "pthread-skylake-Intel Xeon", 2, "1.5.3", p));
    ck_assert_str_eq(p, "Xgemm A=1");
    ck_assert(find(db, "pthread-skylake-avx512-AMD EPYC", 2, "1.5.3", p));
    ck_assert_str_eq(p, "Xgemm A=2");
    ck_assert(!find(db, "pthread-haswell-AMD EPYC", 2, "1.5.3", p));
    ck_assert(!find(db, "x-pthread-skylake-avx512-AMD", 2, "1.5.3", p)); /* from the start */
    ck_assert(find(db, "GPU X", 80, "1.5.3", p));
    ck_assert_str_eq(p, "Xgemm A=3");
    ck_assert(!find(db, "GPU X", 40, "1.5.3", p)); /* other compute units */
    ck_assert(!find(db, "GPU X 2", 80, "1.5.3", p)); /* names are exact */
    ck_assert(find(db, "GPU X", 40, "1.6.0", p)); /* per CLBlast version */
    ck_assert_str_eq(p, "Xgemm A=4");
    ck_assert(!find(db, "GPU X", 80, "1.5.4", p)); /* stale */
    ck_assert(!find(db, "Broken", 1, "1.5.3", p));  /* corrupt */
    ck_assert(!find(db, "Short", 1, "1.5.3", p));   /* a field missing */
    ck_assert(!find("", "GPU X", 80, "1.5.3", p));
    ck_assert(!find(NULL, "GPU X", 80, "1.5.3", p));
}
END_TEST

int main(void)
{
    const tu_case suite_cases[] = {
        {"pure", 0, 0, {{every_shipped_entry_parses_and_matches_its_class, 1},
            {lookup_matches_the_class_only, 1}}},
    };
    return tu_run_cases("tuning-db", suite_cases,
                        sizeof suite_cases / sizeof suite_cases[0]);
}
