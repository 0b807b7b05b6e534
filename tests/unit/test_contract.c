/*
 * Unit tests for src/contract: the id-type placeholders of job SQL (idtypes_sql) and id normalisation, the column
 * list syntax, type classes, and contract_evaluate on hand-built catalog snapshots: a missing table, column,
 * privilege (column-level), a type of another id family, an optional column only without the accelerator, a
 * missing recommended index (a note, not fatal), partitions without the owner's rights, and the fixes printed; and
 * contract_check_settings on loaded configs: a job whose setting is not set is "not configured", with the INI lines.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "contract/catalog.h"
#include "contract/check.h"
#include "contract/idtypes.h"
#include "jobs/registry.h"

Test(idtypes, placeholders_become_the_platforms_types)
{
    struct id_types t;
    idtypes_default(&t);
    snprintf(t.name[ID_COMIC], sizeof t.name[ID_COMIC], "uuid");
    char *sql = idtypes_sql(&t, "SELECT $1::{comic}[], $2::{user}, '{}'::jsonb, '{comic,x}', {group}, {chapter}");
    cr_expect_str_eq(sql, "SELECT $1::uuid[], $2::uuid, '{}'::jsonb, '{comic,x}', bigint, bigint");
    free(sql);
}

Test(idtypes, families_and_normalisation)
{
    cr_expect(idtypes_same_family("bigint", "integer"));
    cr_expect(!idtypes_same_family("uuid", "bigint"));
    cr_expect(!idtypes_allowed("text"));
    struct id_types t;
    idtypes_default(&t);
    char out[40];
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "007", out, sizeof out), 0);
    cr_expect_str_eq(out, "7");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "0", out, sizeof out), -1);
    cr_expect_eq(idtypes_normalise(&t, ID_USER, "0B7C5E6A-1F0E-4C6E-9D3C-7A1B2C3D4E5F", out, sizeof out), 0);
    cr_expect_str_eq(out, "0b7c5e6a-1f0e-4c6e-9d3c-7a1b2c3d4e5f");
    cr_expect_eq(idtypes_normalise(&t, ID_USER, "0b7c5e6a1f0e4c6e9d3c7a1b2c3d4e5f", out, sizeof out), -1);
}

Test(idtypes, bigint_edges)
{
    struct id_types t;
    idtypes_default(&t); /* bigint comics */
    char out[40];
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "9223372036854775807", out, sizeof out), 0, "bigint's max, 19 digits");
    cr_expect_str_eq(out, "9223372036854775807");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "1000000000000000000", out, sizeof out), 0, "the smallest 19 digits");
    cr_expect_str_eq(out, "1000000000000000000");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "9223372036854775808", out, sizeof out), -1, "one past the max");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "99999999999999999999", out, sizeof out), -1, "20 digits");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "000009223372036854775807", out, sizeof out), 0, "leading zeros");
    cr_expect_str_eq(out, "9223372036854775807");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "00000", out, sizeof out), -1, "zero, however written");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "-1", out, sizeof out), -1);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "-9223372036854775807", out, sizeof out), -1);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "+5", out, sizeof out), -1);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "", out, sizeof out), -1);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "12 ", out, sizeof out), -1);
    char small[8];
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "9223372036854775807", small, sizeof small), -1, "no room: refused");
    snprintf(t.name[ID_COMIC], sizeof t.name[ID_COMIC], "integer");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "2147483647", out, sizeof out), 0);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "2147483648", out, sizeof out), -1);
    snprintf(t.name[ID_COMIC], sizeof t.name[ID_COMIC], "smallint");
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "32767", out, sizeof out), 0);
    cr_expect_eq(idtypes_normalise(&t, ID_COMIC, "32768", out, sizeof out), -1);
    cr_expect_eq(idtypes_int_max("bigint"), 9223372036854775807LL);
}

Test(contract, column_list_syntax)
{
    char name[64], type[16];
    bool opt;
    const char *cols = "id:int  userid:user createdat?:time plain";
    cr_assert(contract_column(cols, 0, name, sizeof name, type, sizeof type, &opt));
    cr_expect_str_eq(name, "id");
    cr_expect_str_eq(type, "int");
    cr_expect(!opt);
    cr_assert(contract_column(cols, 2, name, sizeof name, type, sizeof type, &opt));
    cr_expect_str_eq(name, "createdat");
    cr_expect(opt);
    cr_assert(contract_column(cols, 3, name, sizeof name, type, sizeof type, &opt));
    cr_expect_str_eq(type, "any");
    cr_expect(!contract_column(cols, 4, name, sizeof name, type, sizeof type, &opt));
}

static const struct contract entry_contract = {
    .tables = (const struct contract_table[]){{"library.entry",
                                               "id:int userid:user comicid:comic hasnew:bool createdat?:time",
                                               "SELECT UPDATE(hasnew)", 0, "new follows are found by createdat"},
                                              {"core.chapter", "id:chapter comicid:comic", "SELECT DELETE", 0,
                                               "chapters"},
                                              {0}},
    .indexes = (const struct contract_index[]){{"library.entry", "comicid", "followers of a comic", false, NULL},
                                               {"library.entry", "createdat", "follows since", true, "brin"},
                                               {0}},
    .accelerator = "hasnew",
};

/* A snapshot where the role has every privilege entry_contract asks for, except those listed in `deny`. */
static void grant_all_but(struct catalog *cat, const struct contract *c, const char *deny)
{
    contract_want_privs(c, cat);
    for (size_t i = 0; i < cat->np; i++) {
        char key[200];
        snprintf(key, sizeof key, "%c %s %s %s", cat->p[i].kind, cat->p[i].obj, cat->p[i].col ? cat->p[i].col : "-",
                 cat->p[i].priv);
        cat->p[i].has = !deny || !strstr(deny, key);
    }
}

static struct catalog platform(const char *comic_type)
{
    struct catalog cat = {0};
    cat.role = strdup("cbapp");
    cat.database = strdup("platform");
    cat.temp = true;
    struct cat_table *e = catalog_add_table(&cat, "library.entry", 'r', "owner");
    catalog_add_column(e, "id", "bigint", 'N', NULL);
    catalog_add_column(e, "userid", "uuid", 'U', NULL);
    catalog_add_column(e, "comicid", comic_type, !strcmp(comic_type, "uuid") ? 'U' : 'N', NULL);
    catalog_add_column(e, "hasnew", "boolean", 'B', NULL);
    catalog_add_index(e, "comicid,id", "btree");
    struct cat_table *ch = catalog_add_table(&cat, "core.chapter", 'r', "owner");
    catalog_add_column(ch, "id", "bigint", 'N', NULL);
    catalog_add_column(ch, "comicid", "bigint", 'N', NULL);
    return cat;
}

static bool has_finding(const struct contract_result *r, bool fatal, const char *what, const char *fix)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->f[i].fatal == fatal && strstr(r->f[i].what, what) && (!fix || (r->f[i].fix && strstr(r->f[i].fix, fix))))
            return true;
    return false;
}

static void dump(const struct contract_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        cr_log_info("%s %s | %s", r->f[i].fatal ? "FATAL" : "note", r->f[i].what, r->f[i].fix ? r->f[i].fix : "");
}

Test(contract, a_complete_platform_is_available_with_notes_only)
{
    struct catalog cat = platform("bigint");
    struct id_types ids;
    idtypes_default(&ids);
    grant_all_but(&cat, &entry_contract, NULL);
    struct contract_result r = {.available = true};
    contract_evaluate(&entry_contract, &cat, &ids, false, &r);
    dump(&r);
    cr_expect(r.available);
    cr_expect(has_finding(&r, false, "column library.entry.createdat is missing (without the accelerator",
                          "ALTER TABLE library.entry ADD COLUMN createdat timestamptz;"));
    cr_expect(has_finding(&r, false, "no index on library.entry (createdat)", "USING brin (createdat)"));
    contract_result_finish(&r);
    r = (struct contract_result){.available = true};
    contract_evaluate(&entry_contract, &cat, &ids, true, &r);
    cr_expect_eq(r.n, 0, "with the accelerator, neither the optional column nor its index is needed");
    contract_result_finish(&r);
    catalog_free(&cat);
}

Test(contract, missing_privileges_and_mismatched_ids_are_fatal_with_their_fix)
{
    struct catalog cat = platform("uuid");
    struct id_types ids;
    idtypes_default(&ids); /* core.comic's id is bigint here, so a uuid comicid is of another family */
    ids.found[ID_COMIC] = true;
    grant_all_but(&cat, &entry_contract,
                  "c library.entry hasnew UPDATE|t core.chapter - DELETE|c core.chapter id SELECT");
    struct contract_result r = {.available = true};
    contract_evaluate(&entry_contract, &cat, &ids, true, &r);
    dump(&r);
    cr_expect(!r.available);
    cr_expect(has_finding(&r, true, "column library.entry.comicid is uuid; comicbatch needs the comic id type",
                          "ALTER TABLE library.entry ALTER COLUMN comicid TYPE bigint;"));
    cr_expect(has_finding(&r, true, "role cbapp lacks UPDATE on library.entry (hasnew)",
                          "GRANT UPDATE (hasnew) ON library.entry TO cbapp;"));
    cr_expect(
        has_finding(&r, true, "role cbapp lacks DELETE on core.chapter", "GRANT DELETE ON core.chapter TO cbapp;"));
    cr_expect(has_finding(&r, true, "role cbapp lacks SELECT on core.chapter (id)",
                          "GRANT SELECT (id) ON core.chapter TO cbapp;"));
    cr_expect(strstr(r.reason, "comicid is uuid") != NULL, "%s", r.reason);
    contract_result_finish(&r);
    catalog_free(&cat);
}

static const struct contract c = {
    .tables = (const struct contract_table[]){{"library.entry", "hasnew:bool readat:time", "SELECT", 0, NULL},
                                              {"core.missing", "id:comic title:text", "SELECT", 0, "the comics"},
                                              {"core.chapter", "id:chapter", "", CONTRACT_PARTITIONED, NULL},
                                              {0}},
    .partitions = true,
};

static const struct contract parts = {
    .tables = (const struct contract_table[]){{"core.chapter", "id:chapter", "", CONTRACT_PARTITIONED, NULL}, {0}},
    .partitions = true,
};

Test(contract, missing_table_and_column_and_partitions)
{
    struct catalog cat = platform("bigint");
    struct id_types ids;
    idtypes_default(&ids);
    grant_all_but(&cat, &c, NULL);
    struct contract_result r = {.available = true};
    contract_evaluate(&c, &cat, &ids, false, &r);
    dump(&r);
    cr_expect(has_finding(&r, true, "column library.entry.readat is missing",
                          "ALTER TABLE library.entry ADD COLUMN readat timestamptz;"));
    cr_expect(has_finding(&r, true, "table core.missing is missing: the comics",
                          "CREATE TABLE core.missing (id bigint, title text);"));
    cr_expect(has_finding(&r, true, "core.chapter is not a partitioned table", NULL));
    contract_result_finish(&r);
    /* A partitioned parent the role does not own, and no definer function: the two ways out are printed. */
    cat.t[1].relkind = 'p';
    r = (struct contract_result){.available = true};
    contract_evaluate(&parts, &cat, &ids, false, &r);
    cr_expect(has_finding(&r, true, "may not create partitions of core.chapter", "GRANT owner TO cbapp;"));
    contract_result_finish(&r);
    cat.definer_fn = true;
    r = (struct contract_result){.available = true};
    contract_evaluate(&parts, &cat, &ids, false, &r);
    cr_expect(r.available, "the owner's definer function is enough");
    contract_result_finish(&r);
    catalog_free(&cat);
}

/* A config loaded from `text` (an INI file written to a temp path). */
static void config_from(struct config *c, const char *text)
{
    char path[] = "/tmp/cb-contract-test-XXXXXX", err[512];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    config_init(c);
    int rc = config_load(c, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
}

static const struct contract dump_like = {
    .settings = (const struct contract_setting[]){{"provider.NAME", "dump", "the dump it imports"}, {0}},
};

Test(contract, a_missing_setting_makes_the_job_not_configured_with_the_ini_lines)
{
    const char *cases[][3] = {
        /* config, what, the INI lines of the fix */
        {"",
         "[provider.dump] dump is not set (no [provider.dump] section): the dump it imports; dump is the active provider",
         "[provider.dump]\ndump = "},
        {"[metadata]\nprovider = acme\n[provider.dump]\ndump = /x.jsonl\n",
         "[provider.acme] dump is not set (no [provider.acme] section)", "[provider.acme]\ndump = "},
        {"[provider.dump]\nallow_insecure_loopback = true\n", "[provider.dump] dump is not set: the dump it imports",
         "[provider.dump]\ndump = "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config cfg;
        config_from(&cfg, cases[i][0]);
        struct contract_result r = {.available = true, .configured = true};
        contract_check_settings(&dump_like, &cfg, &r);
        dump(&r);
        cr_expect(!r.available && !r.configured, "case %zu", i);
        cr_expect(has_finding(&r, true, cases[i][1], cases[i][2]), "case %zu", i);
        cr_expect(r.n == 1 && r.f[0].setting, "case %zu: one finding, a setting", i);
        cr_expect(strstr(r.reason, cases[i][1]), "case %zu: the reason names the section and key", i);
        cr_expect(strstr(r.f[0].fix, "restart"), "case %zu: provider sections are read at start", i);
        cr_expect(!contract_configured(&dump_like, &cfg), "case %zu", i);
        contract_result_finish(&r);
        config_finish(&cfg);
    }
}

Test(contract, a_set_setting_adds_nothing)
{
    struct config cfg;
    config_from(&cfg, "[metadata]\nprovider = acme\n[provider.acme]\ndump = /srv/acme.jsonl.gz\n");
    struct contract_result r = {.available = true, .configured = true};
    contract_check_settings(&dump_like, &cfg, &r);
    cr_expect(r.available && r.configured && r.n == 0);
    cr_expect(contract_configured(&dump_like, &cfg));
    cr_expect(contract_configured(NULL, &cfg), "no contract, nothing to set");
    config_finish(&cfg);
}

Test(contract, every_setting_a_job_declares_is_a_setting_of_this_build)
{
    struct config cfg;
    config_from(&cfg, "");
    struct contract_jobs jobs = registry_contract_jobs();
    size_t declared = 0;
    for (size_t i = 0; i < jobs.n; i++) {
        if (!jobs.v[i].contract)
            continue;
        struct contract_result r = {.available = true, .configured = true};
        contract_check_settings(jobs.v[i].contract, &cfg, &r);
        for (size_t k = 0; k < r.n; k++) {
            cr_expect(r.f[k].setting, "%s: %s", jobs.v[i].key, r.f[k].what);
            declared++;
        }
        contract_result_finish(&r);
    }
    cr_expect_geq(declared, 1, "metadata.dump_refresh declares the provider's dump");
    config_finish(&cfg);
}
