/*
 * Unit tests for covers/sniff.c: each accepted image type by its signature (and a near miss of each), AVIF by a
 * compatible brand, SVG in its usual spellings, and bodies too short to decide.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "covers/sniff.h"

static enum image_type sniff(const char *bytes, size_t n)
{
    return image_sniff((const uint8_t *)bytes, n);
}

#define SNIFF(lit) sniff(lit, sizeof(lit) - 1)

Test(sniff, accepted_types)
{
    cr_expect_eq(SNIFF("\xff\xd8\xff\xe0\x00\x10JFIF"), IMG_JPEG);
    cr_expect_eq(SNIFF("\xff\xd8\xff"), IMG_JPEG);
    cr_expect_eq(SNIFF("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), IMG_PNG);
    cr_expect_eq(SNIFF("GIF87a\x01\x00"), IMG_GIF);
    cr_expect_eq(SNIFF("GIF89a\x01\x00"), IMG_GIF);
    cr_expect_eq(SNIFF("RIFF\x24\x00\x00\x00WEBPVP8 "), IMG_WEBP);
    cr_expect_eq(SNIFF("\x00\x00\x00\x18"
                       "ftypavif\x00\x00\x00\x00"
                       "avifmif1"),
                 IMG_AVIF);
    cr_expect_eq(SNIFF("\x00\x00\x00\x1c"
                       "ftypavis\x00\x00\x00\x00"
                       "avismsf1miaf"),
                 IMG_AVIF);
    /* major brand mif1, avif only among the compatible brands */
    cr_expect_eq(SNIFF("\x00\x00\x00\x1c"
                       "ftypmif1\x00\x00\x00\x00"
                       "mif1miafavif"),
                 IMG_AVIF);
}

Test(sniff, near_misses_are_not_images)
{
    cr_expect_eq(SNIFF("\xff\xd8"), IMG_NONE);
    cr_expect_eq(SNIFF("\x89PNG\r\n\x1a"), IMG_NONE);
    cr_expect_eq(SNIFF("GIF88a\x01\x00"), IMG_NONE);
    cr_expect_eq(SNIFF("RIFF\x24\x00\x00\x00WAVEfmt "), IMG_NONE);
    /* an MP4 (ftyp, no avif brand), and "avif" where the minor version sits */
    cr_expect_eq(SNIFF("\x00\x00\x00\x18"
                       "ftypisom\x00\x00\x02\x00"
                       "isomiso2"),
                 IMG_NONE);
    cr_expect_eq(SNIFF("\x00\x00\x00\x18"
                       "ftypisom"
                       "avif"
                       "isomiso2"),
                 IMG_NONE);
    /* a brand past the ftyp box's declared size does not count */
    cr_expect_eq(SNIFF("\x00\x00\x00\x10"
                       "ftypmif1\x00\x00\x00\x00"
                       "avif"),
                 IMG_NONE);
    cr_expect_eq(SNIFF(""), IMG_NONE);
    cr_expect_eq(SNIFF("<!doctype html><html><body>hi</body></html>"), IMG_NONE);
    cr_expect_eq(SNIFF("{\"error\": \"not found\"}"), IMG_NONE);
}

Test(sniff, svg_is_recognised_to_be_refused)
{
    cr_expect_eq(SNIFF("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), IMG_SVG);
    cr_expect_eq(SNIFF("<?xml version=\"1.0\"?>\n<svg>"), IMG_SVG);
    cr_expect_eq(SNIFF("\xef\xbb\xbf  \n<SVG>"), IMG_SVG);
    cr_expect_eq(SNIFF("<!DOCTYPE svg PUBLIC"), IMG_SVG);
    cr_expect_null(image_mime(IMG_SVG));
    cr_expect_null(image_mime(IMG_NONE));
}

Test(sniff, words_round_trip)
{
    for (int t = IMG_JPEG; t <= IMG_AVIF; t++) {
        cr_expect_eq(image_from_word(image_word((enum image_type)t)), t);
        cr_expect_not_null(image_mime((enum image_type)t));
        cr_expect(!strncmp(image_mime((enum image_type)t), "image/", 6));
    }
    cr_expect_eq(image_from_word("none"), IMG_NONE);
    cr_expect_eq(image_from_word("bmp"), IMG_NONE);
}
