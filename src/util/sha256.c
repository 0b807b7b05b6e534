/*
 * sha256 — see sha256.h. The digest implementation is fetched once, and each thread keeps one digest context for
 * its life: with OpenSSL 3, EVP_Digest on EVP_sha256() fetches the implementation and allocates a context on every
 * call (a locked provider lookup, two allocations), which was ~6% of the CPU of a cover cache hit.
 */
#include "util/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;     /* process-wide, immutable once fetched; lives as long as the process */
static pthread_key_t ctx_key; /* each thread's EVP_MD_CTX, freed when the thread exits */

static void free_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void fetch_md(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    pthread_key_create(&ctx_key, free_ctx);
}

/* This thread's context, or NULL when one cannot be had (then the one-shot path is used). */
static EVP_MD_CTX *thread_ctx(void)
{
    EVP_MD_CTX *ctx = pthread_getspecific(ctx_key);
    if (!ctx && (ctx = EVP_MD_CTX_new()) && pthread_setspecific(ctx_key, ctx)) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    pthread_once(&fetch_once, fetch_md);
    EVP_MD_CTX *ctx = sha256_md ? thread_ctx() : NULL;
    if (!ctx || !EVP_DigestInit_ex2(ctx, sha256_md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, md, &mdlen))
        EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

bool secret_equal(const char *a, const char *b)
{
    /* Hash both first: equal-length inputs for CRYPTO_memcmp, and the length of the secret does not leak. */
    char ha[65], hb[65];
    sha256_hex(a, strlen(a), ha);
    sha256_hex(b, strlen(b), hb);
    return CRYPTO_memcmp(ha, hb, 64) == 0;
}
