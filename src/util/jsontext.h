/*
 * jsontext — a growable buffer that JSON text is appended to piece by piece: raw tokens copied as they are (numbers,
 * JSON text from elsewhere), strings quoted and escaped. For answers built from database rows without making a
 * jansson value per field (the run list, store/runjson.c). Strings are copied byte for byte apart from the escapes
 * JSON requires (", \ and control characters); the caller hands in UTF-8 (PostgreSQL's text is).
 */
#ifndef COMICBATCH_JSONTEXT_H
#define COMICBATCH_JSONTEXT_H

#include <stddef.h>

struct jsontext {
    char *s; /* NUL-terminated once anything was appended; NULL before */
    size_t len, cap;
};

/** Appends `n` bytes of `s` as they are. */
void jsontext_raw(struct jsontext *j, const char *s, size_t n);

/** Appends the NUL-terminated `s` as they are. */
void jsontext_lit(struct jsontext *j, const char *s);

/** Appends `s` (`n` bytes) as a JSON string: quoted, with ", \ and bytes below 0x20 escaped. */
void jsontext_str(struct jsontext *j, const char *s, size_t n);

/** Hands over the text (malloc'd, "" when nothing was appended) and leaves `j` empty. */
char *jsontext_take(struct jsontext *j);

#endif
