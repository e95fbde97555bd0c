/*
 * ed_strmap: a string-keyed hash map with open addressing and linear probing (FNV-1a hashes).
 * Deletion uses backward-shift instead of tombstones, so lookups stay short however many keys
 * come and go (work queues and caches churn their keys all day).
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    char *key; /* NULL: empty */
    void *value;
    uint64_t hash;
};

struct ed_strmap {
    struct slot *slots;
    size_t cap; /* a power of two */
    size_t len;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

ed_strmap *ed_strmap_new(void)
{
    ed_strmap *m = ed_xcalloc(1, sizeof(*m));
    m->cap = 16;
    m->slots = ed_xcalloc(m->cap, sizeof(*m->slots));
    return m;
}

void ed_strmap_free(ed_strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static size_t find(const ed_strmap *m, const char *key, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct slot *s = &m->slots[i];
        if (!s->key) {
            *found = false;
            return i;
        }
        if (s->hash == h && strcmp(s->key, key) == 0) {
            *found = true;
            return i;
        }
    }
}

static void grow(ed_strmap *m)
{
    struct slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap *= 2;
    m->slots = ed_xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key)
            continue;
        bool found;
        size_t j = find(m, old[i].key, old[i].hash, &found);
        m->slots[j] = old[i];
    }
    free(old);
}

void *ed_strmap_get(const ed_strmap *m, const char *key)
{
    bool found;
    size_t i = find(m, key, hash_str(key), &found);
    return found ? m->slots[i].value : NULL;
}

bool ed_strmap_has(const ed_strmap *m, const char *key)
{
    bool found;
    find(m, key, hash_str(key), &found);
    return found;
}

void *ed_strmap_put(ed_strmap *m, const char *key, void *value)
{
    /* Keep the load under 3/4 so probes stay short. */
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    uint64_t h = hash_str(key);
    bool found;
    size_t i = find(m, key, h, &found);
    if (found) {
        void *prev = m->slots[i].value;
        m->slots[i].value = value;
        return prev;
    }
    m->slots[i].key = ed_xstrdup(key);
    m->slots[i].value = value;
    m->slots[i].hash = h;
    m->len++;
    return NULL;
}

void *ed_strmap_del(ed_strmap *m, const char *key)
{
    bool found;
    size_t i = find(m, key, hash_str(key), &found);
    if (!found)
        return NULL;
    void *value = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->len--;
    /* Backward-shift: move later members of the probe run into the hole when their home slot
     * allows it, so no lookup ever stops early at an empty slot. */
    size_t mask = m->cap - 1;
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            m->slots[hole] = m->slots[j];
            m->slots[j].key = NULL;
            hole = j;
        }
    }
    return value;
}

size_t ed_strmap_len(const ed_strmap *m)
{
    return m->len;
}

bool ed_strmap_next(const ed_strmap *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        const struct slot *s = &m->slots[(*pos)++];
        if (s->key) {
            *key = s->key;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}
