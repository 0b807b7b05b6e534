/*
 * sniff — which image type a body is, decided by its first bytes only (never by the upstream's Content-Type or
 * the URL's extension). The cover proxy accepts JPEG, PNG, GIF, WebP and AVIF; SVG is recognised so it can be
 * refused by name (it is a document that can carry script); anything else is "not an image". Pure.
 */
#ifndef COMICBATCH_SNIFF_H
#define COMICBATCH_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/** Bytes sniff wants to see before deciding (fewer is fine at the end of a short body). */
#define SNIFF_BYTES 64

enum image_type { IMG_NONE = 0, IMG_JPEG, IMG_PNG, IMG_GIF, IMG_WEBP, IMG_AVIF, IMG_SVG };

/** The type of a body starting with `p[0..n)`. */
enum image_type image_sniff(const uint8_t *p, size_t n);

/** The MIME type of `t` ("image/png", …), or NULL for IMG_NONE and IMG_SVG (never served). */
const char *image_mime(enum image_type t);

/** A short stable word for `t` ("jpeg", "png", …, "svg", "none"), as stored in the cache file header. */
const char *image_word(enum image_type t);

/** The type named by `word` (inverse of image_word), or IMG_NONE. */
enum image_type image_from_word(const char *word);

#endif
