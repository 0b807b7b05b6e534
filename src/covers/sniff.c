/* sniff — see sniff.h. Signatures from the formats' specifications (WHATWG MIME Sniffing §6.1 for the images). */
#include "covers/sniff.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* AVIF is an ISO-BMFF file: a leading `ftyp` box whose major or a compatible brand is avif/avis. */
static bool is_avif(const uint8_t *p, size_t n)
{
    if (n < 12 || memcmp(p + 4, "ftyp", 4))
        return false;
    size_t box = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (box < 16 || box % 4)
        box = 12;
    size_t end = box < n ? box : n;
    for (size_t i = 8; i + 4 <= end; i += 4) {
        if (i == 12) /* minor_version, not a brand */
            continue;
        if (!memcmp(p + i, "avif", 4) || !memcmp(p + i, "avis", 4))
            return true;
    }
    return false;
}

/* Text that opens like an XML/SVG document: optional BOM and whitespace, then '<', with "svg" in what we saw. */
static bool is_svg(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i] != '<')
        return false;
    for (; i + 3 <= n; i++)
        if (!strncasecmp((const char *)p + i, "svg", 3))
            return true;
    return false;
}

enum image_type image_sniff(const uint8_t *p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return IMG_JPEG;
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return IMG_PNG;
    if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
        return IMG_GIF;
    if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
        return IMG_WEBP;
    if (is_avif(p, n))
        return IMG_AVIF;
    if (is_svg(p, n))
        return IMG_SVG;
    return IMG_NONE;
}

static const char *const mimes[] = {NULL, "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", NULL};
static const char *const words[] = {"none", "jpeg", "png", "gif", "webp", "avif", "svg"};

const char *image_mime(enum image_type t)
{
    return (unsigned)t < sizeof mimes / sizeof mimes[0] ? mimes[t] : NULL;
}

const char *image_word(enum image_type t)
{
    return (unsigned)t < sizeof words / sizeof words[0] ? words[t] : "none";
}

enum image_type image_from_word(const char *word)
{
    for (size_t i = 1; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(words[i], word))
            return (enum image_type)i;
    return IMG_NONE;
}
