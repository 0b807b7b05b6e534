/*
 * features — what the daemon itself (not a job) reads and writes on the platform's tables. A feature that fails its
 * contract does not stop anything else: `doctor` reports it with its consequence, and its requests fail alone.
 */
#include "contract/contract.h"

#include <stddef.h>

const struct contract_feature contract_features[] = {
    {"session sign-in",
     "only the admin token signs in (no platform admin's session token)",
     {.tables = (const struct contract_table[]){{"users.session",
                                                 "userid:user tokenhash:text expiresat:time revokedat:time", "SELECT",
                                                 0, "an admin's session token is looked up by its SHA-256"},
                                                {"users.account", "id:user role:text", "SELECT", 0,
                                                 "the session's user must have role admin"},
                                                {0}}}},
    {"audit log",
     "schedule changes, cover-cache invalidations and metadata-hash invalidations fail (they are "
     "audited in the same transaction)",
     {.tables = (const struct contract_table[]){{"system.auditlog",
                                                 "actor:text actoruserid:user action:text target:text details:jsonb",
                                                 "INSERT", 0, "who changed what, written with the change"},
                                                {0}}}},
    {"alerts",
     "a job failing repeatedly is only logged (and posted to the webhook), not written as a notification",
     {.tables = (const struct contract_table[]){{"system.notification",
                                                 "level:text title:text message:text details:jsonb", "INSERT", 0,
                                                 "the critical notification after repeated failures"},
                                                {0}}}},
    {"covers by comic id",
     "GET /api/v1/covers/:comicId fails (covers by URL still work)",
     {.tables = (const struct contract_table[]){{"core.comic", "id:comic coverurl:text", "SELECT", 0,
                                                 "the comic's cover URL"},
                                                {0}}}},
    {"series maintenance",
     "POST /api/v1/series/invalidate-metadata-hashes and the providers page's counts fail",
     {.tables = (const struct contract_table[]){{"core.comic",
                                                 "id:comic provider:text providerseriesid:text metadata_hash:text",
                                                 "SELECT UPDATE(metadata_hash)", 0, "provider-backed series rows"},
                                                {0}}}},
    {NULL, NULL, {0}},
};
