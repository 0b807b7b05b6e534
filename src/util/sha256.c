/* sha256 — see sha256.h. */
#include "util/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

void sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
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
