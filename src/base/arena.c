/*
 * ed_arena: one memory pool per reconcile or kustomize build (nginx's pool, h2o's mem pool).
 * Temporaries are allocated from it and released together; cleanup hooks close descriptors and
 * remove temp directories on the same exit, so no error path leaks them.
 */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks grow from ARENA_FIRST_BLOCK to ARENA_BLOCK, doubling: a parsed Kubernetes object
 * (one arena per document) needs a few KiB, and a build holds thousands of them at once. */
#define ARENA_FIRST_BLOCK 1024
#define ARENA_BLOCK       16384
#define ARENA_ALIGN       16

struct block {
    struct block *next;
    size_t used;
    size_t size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *ctx);
    void *ctx;
};

struct ed_arena {
    struct block *blocks;
    struct cleanup *cleanups;
    size_t next_block; /* size of the next regular block; 0 before the first */
};

ed_arena *ed_arena_new(void)
{
    return ed_xcalloc(1, sizeof(ed_arena));
}

void *ed_arena_alloc(ed_arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct block *b = a->blocks;
    if (!b || b->size - b->used < n) {
        /* Large requests get a block of their own, placed behind the current one so the
         * current block's free space stays in use. */
        bool own = n > ARENA_BLOCK / 4;
        size_t size = a->next_block ? a->next_block : ARENA_FIRST_BLOCK;
        while (size < n)
            size *= 2;
        if (own)
            size = n;
        struct block *nb = ed_xmalloc(sizeof(*nb) + size);
        nb->used = 0;
        nb->size = size;
        if (b && own) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->blocks = nb;
            if (!own)
                a->next_block = size < ARENA_BLOCK ? size * 2 : ARENA_BLOCK;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *ed_arena_strdup(ed_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = ed_arena_alloc(a, n);
    memcpy(p, s, n);
    return p;
}

char *ed_arena_printf(ed_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ed_arena_strdup(a, "");
    char *p = ed_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void ed_arena_on_free(ed_arena *a, void (*fn)(void *ctx), void *ctx)
{
    struct cleanup *c = ed_xmalloc(sizeof(*c));
    c->fn = fn;
    c->ctx = ctx;
    c->next = a->cleanups;
    a->cleanups = c;
}

void ed_arena_free(ed_arena *a)
{
    if (!a)
        return;
    /* Hooks first (newest first): they may still read arena memory. */
    while (a->cleanups) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ctx);
        free(c);
    }
    while (a->blocks) {
        struct block *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
    free(a);
}
