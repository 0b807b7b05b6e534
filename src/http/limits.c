/* limits — see limits.h. */
#include "http/limits.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "util/xalloc.h"

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static size_t slot_of(const struct client_counts *t, const struct client_key *k)
{
    uint64_t a, b;
    memcpy(&a, k->b, 8);
    memcpy(&b, k->b + 8, 8);
    return (size_t)(mix(a ^ t->seed) ^ mix(b + t->seed)) & t->mask;
}

void client_counts_init(struct client_counts *t, size_t max_clients, uint64_t seed)
{
    size_t cap = 16;
    while (cap < 2 * max_clients)
        cap *= 2;
    t->slots = xcalloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    t->used = 0;
    t->max_used = cap / 2;
    t->seed = seed;
}

void client_counts_finish(struct client_counts *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* The slot holding `k`, or the empty slot where it would go. */
static size_t find(const struct client_counts *t, const struct client_key *k)
{
    size_t i = slot_of(t, k);
    while (t->slots[i].count && memcmp(&t->slots[i].key, k, sizeof *k))
        i = (i + 1) & t->mask;
    return i;
}

bool client_counts_acquire(struct client_counts *t, const struct client_key *k, uint32_t limit)
{
    size_t i = find(t, k);
    struct client_slot *s = &t->slots[i];
    if (s->count) {
        if (limit && s->count >= limit)
            return false;
        s->count++;
        return true;
    }
    if (t->used >= t->max_used)
        return false;
    s->key = *k;
    s->count = 1;
    t->used++;
    return true;
}

/* Backward-shift deletion: moves later entries of the probe run into the hole so lookups never stop early. */
static void remove_at(struct client_counts *t, size_t hole)
{
    size_t i = hole;
    for (;;) {
        i = (i + 1) & t->mask;
        if (!t->slots[i].count)
            break;
        size_t home = slot_of(t, &t->slots[i].key);
        /* Move slot i into the hole unless its home lies cyclically in (hole, i]. */
        if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
            t->slots[hole] = t->slots[i];
            hole = i;
        }
    }
    t->slots[hole].count = 0;
    t->used--;
}

void client_counts_release(struct client_counts *t, const struct client_key *k)
{
    size_t i = find(t, k);
    if (!t->slots[i].count)
        return;
    if (--t->slots[i].count == 0) {
        t->slots[i].count = 1; /* remove_at expects a live slot at the hole's place */
        remove_at(t, i);
    }
}

uint32_t client_counts_get(const struct client_counts *t, const struct client_key *k)
{
    return t->slots[find(t, k)].count;
}

bool client_key_from_sockaddr(const struct sockaddr *sa, struct client_key *k)
{
    memset(k, 0, sizeof *k);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        k->b[10] = 0xff;
        k->b[11] = 0xff;
        memcpy(k->b + 12, &in->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(k->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}
