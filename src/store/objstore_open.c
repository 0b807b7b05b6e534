/* objstore_open — see objstore.h: picks the backend the configuration names ([storage] backend) and opens it. Kept
 * apart from objstore.c so that the front the backends build on does not depend on the backends. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "store/objstore.h"

struct objstore *objstore_create(const struct config *cfg, char *err, size_t errlen)
{
    const char *backend = cfg->storage_backend ? cfg->storage_backend : "fs";
    if (!strcmp(backend, "fs")) {
        if (!cfg->storage_dir || !*cfg->storage_dir) {
            snprintf(err, errlen, "storage.dir is not set");
            return NULL;
        }
        return objstore_create_fs(cfg->storage_dir, err, errlen);
    }
    if (!strcmp(backend, "s3"))
        return objstore_create_s3(cfg->s3_endpoint, cfg->s3_bucket, cfg->s3_region, cfg->s3_access_key,
                                  cfg->s3_secret_key, err, errlen);
    snprintf(err, errlen, "storage.backend: expected fs or s3, got \"%s\"", backend);
    return NULL;
}
