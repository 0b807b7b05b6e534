/*
 * limits — per-client connection accounting for one listener: how many connections each client address holds, in
 * a fixed-size open-addressing table (linear probing, backward-shift deletion, keyed hash). Pure: no lock (the
 * connection registry's lock guards it, see conns.h), no clock, no socket; unit-tested on its own.
 *
 * A *client key* is the peer address in 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d), so one table serves both
 * families. The table never holds more entries than live connections, so sizing it for the listener's connection
 * limit bounds it; when it is full anyway, a new client is refused rather than the table grown.
 */
#ifndef COMICBATCH_HTTP_LIMITS_H
#define COMICBATCH_HTTP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

struct client_key {
    unsigned char b[16];
};

struct client_slot {
    struct client_key key;
    uint32_t count; /* 0 = empty slot */
};

struct client_counts {
    struct client_slot *slots; /* owned */
    size_t mask;               /* capacity - 1; capacity is a power of two */
    size_t used;               /* slots with count > 0 */
    size_t max_used;           /* refuse new clients past this (half the capacity: probes stay short) */
    uint64_t seed;             /* hash key, so no one can choose addresses that collide */
};

/** Sizes the table for up to `max_clients` distinct clients at once. `seed` keys the hash. Pair with _finish. */
void client_counts_init(struct client_counts *t, size_t max_clients, uint64_t seed);

/** Frees the table. */
void client_counts_finish(struct client_counts *t);

/**
 * Counts one more connection of `k` unless it already holds `limit` (0 = no limit) or the table has no room for a
 * new client. True when counted (pair it with one client_counts_release), false when refused.
 */
bool client_counts_acquire(struct client_counts *t, const struct client_key *k, uint32_t limit);

/** Forgets one connection of `k` (counted by client_counts_acquire); the entry goes at zero. */
void client_counts_release(struct client_counts *t, const struct client_key *k);

/** Connections `k` holds now. */
uint32_t client_counts_get(const struct client_counts *t, const struct client_key *k);

/** The key of an AF_INET or AF_INET6 address. False for other families (those are not counted). */
bool client_key_from_sockaddr(const struct sockaddr *sa, struct client_key *k);

#endif
