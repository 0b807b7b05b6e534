/*
 * record — the canonical provider record: what every metadata provider hands over for one series, normalised so
 * that equal metadata has equal bytes and therefore an equal content hash (DESIGN §5).
 *
 * Accepted input: one JSON object with these fields (unknown fields are ignored and are not part of the hash):
 *   "id"            string (or integer), required: the provider's series id, 1..256 characters after trimming
 *   "title"         string, required, non-empty after trimming, at most 1000 characters
 *   "altTitles"     array of strings, or null/absent (= [])        — trimmed, empties dropped, duplicates dropped,
 *                                                                    order kept; at most 100 of 1000 characters
 *   "status"        string or null: ongoing | completed | hiatus | cancelled (case-insensitive), or a synonym:
 *                   publishing/releasing → ongoing, complete/finished → completed, on hiatus → hiatus,
 *                   canceled/discontinued → cancelled (core.comic.status allows only the four)
 *   "year"          integer 1000..9999 or null
 *   "totalVolumes"  integer 0..1000000, a string of digits, or null
 *   "totalChapters" number >= 0, a decimal string like "10.5", or null — kept as text ("10.5"), never rounded
 *   "coverUrl"      http(s) URL string of at most 2048 characters, or null
 *   "description"   string or null, at most 65536 bytes; empty after trimming = null
 *   "tags"          array of strings, or null/absent (= [])        — trimmed, empties dropped, duplicates dropped,
 *                                                                    sorted; at most 200 of 100 characters
 * Anything else (not an object, bad JSON, duplicate keys, a missing id/title, a wrong type, a value out of bounds)
 * makes the record malformed, with a one-line reason naming the field.
 *
 * Canonical form: a JSON object holding exactly those ten keys (absent values as null, arrays as arrays), keys
 * sorted, compact, UTF-8. Its SHA-256 (hex) is the record's hash.
 */
#ifndef COMICBATCH_RECORD_H
#define COMICBATCH_RECORD_H

#include <jansson.h>
#include <stddef.h>

#define RECORD_MAX_ID 256

/** A canonical record. Owns `json` and `text`; release with record_finish. */
struct record {
    json_t *json; /* the canonical object */
    char *text;   /* its canonical serialisation (what is hashed and stored) */
    char id[RECORD_MAX_ID + 1];
    char hash[65]; /* lowercase hex SHA-256 of text */
};

/**
 * Parses one line of JSON (`len` bytes, not necessarily NUL-terminated) into a canonical record. Returns 0 with
 * `out` filled (release with record_finish), or -1 with a short reason in `reason` ("missing title",
 * "year: expected an integer from 1000 to 9999", …) and nothing to release.
 */
int record_parse(const char *line, size_t len, struct record *out, char *reason, size_t reasonlen);

/** Canonicalises an already-parsed object (borrowed). Same contract as record_parse. */
int record_from_json(const json_t *in, struct record *out, char *reason, size_t reasonlen);

/** Frees what record_parse/record_from_json allocated; safe on a zeroed record. */
void record_finish(struct record *r);

#endif
