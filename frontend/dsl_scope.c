/*
 * dsl_scope.c: names of the .dl parser.
 *
 * Each graph (the model, and every `graph { ... }` subgraph attribute) has a
 * Scope, an open-addressing hash map from name to value; a subgraph's scope
 * falls back to its parent's for outer-scope names.  Every value gets a name
 * at once: node outputs a temporary ("t12"), literal constants "c3"; a
 * statement binding a name renames the temporary it is bound to, and a later
 * binding of a temporary's name moves the temporary aside (renames it)
 * instead, so any name is free for the program.  A name bound by the program
 * text (`user`) is bound exactly once.  The parser also keeps a dtype guess
 * per name, for literals whose dtype depends on the other operand.
 */
#include "dsl_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- scopes */

static Sym tombstone;
#define TOMBSTONE (&tombstone)

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

Scope *dsl_scope_new(Arena *a, Graph *g, Scope *parent) {
    Scope *s = ARENA_NEW(a, Scope);
    s->g = g;
    s->parent = parent;
    s->cap = 64;
    s->slots = ARENA_ARRAY(a, Sym *, s->cap);
    return s;
}

Sym *dsl_sym_find(Scope *s, const char *name) {
    for (uint64_t i = hash_name(name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1)) {
        Sym *e = s->slots[i];
        if (!e)
            return NULL;
        if (e != TOMBSTONE && !strcmp(e->name, name))
            return e;
    }
}

Sym *dsl_scope_lookup(Scope *s, const char *name) {
    for (; s; s = s->parent) {
        Sym *e = dsl_sym_find(s, name);
        if (e)
            return e;
    }
    return NULL;
}

static void scope_remove(Scope *s, const char *name) {
    for (uint64_t i = hash_name(name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1)) {
        Sym *e = s->slots[i];
        if (!e)
            return;
        if (e != TOMBSTONE && !strcmp(e->name, name)) {
            s->slots[i] = TOMBSTONE;
            return;
        }
    }
}

static void scope_insert(Scope *s, Sym *sym) {
    for (uint64_t i = hash_name(sym->name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1))
        if (!s->slots[i] || s->slots[i] == TOMBSTONE) {
            if (!s->slots[i])
                s->used++;
            s->slots[i] = sym;
            return;
        }
}

/* Adds name -> v to scope s (the name must not be there). */
Sym *dsl_scope_put(Arena *a, Scope *s, Value *v, bool user, DType guess) {
    if (2 * (s->used + 1) > s->cap) {
        Sym **old = s->slots;
        int old_cap = s->cap;
        s->cap *= 2;
        s->slots = ARENA_ARRAY(a, Sym *, s->cap);
        s->used = 0;
        for (int i = 0; i < old_cap; i++)
            if (old[i] && old[i] != TOMBSTONE)
                scope_insert(s, old[i]);
    }
    Sym *e = ARENA_NEW(a, Sym);
    e->name = v->name;
    e->v = v;
    e->user = user;
    e->guess = guess;
    scope_insert(s, e);
    return e;
}

DType dsl_guess(Parser *p, const Value *v) {
    if (!v)
        return DT_UNDEF;
    Sym *s = dsl_scope_lookup(p->sc, v->name);
    if (s && s->v == v && s->guess != DT_UNDEF)
        return s->guess;
    return v->dtype;
}

/* A name not used in the current scope chain. */
const char *dsl_fresh_name(Parser *p, const char *prefix) {
    for (;;) {
        const char *s = arena_printf(p->c->arena, "%s%d", prefix, p->tmp++);
        if (!dsl_scope_lookup(p->sc, s))
            return s;
    }
}

/* Registers a parser-made value (a node output or literal constant) as a temporary. */
void dsl_temp_register(Parser *p, Value *v, DType guess) {
    if (dsl_scope_lookup(p->sc, v->name))
        v->name = dsl_fresh_name(p, "t");
    dsl_scope_put(p->c->arena, p->sc, v, false, guess);
}

/* Binds `name` to v, a temporary of the current scope, by renaming v. */
void dsl_bind_temp(Parser *p, const char *name, Loc loc, Value *v) {
    Sym *old = dsl_sym_find(p->sc, name);
    if (old && old->v == v) {
        old->user = true;
        v->loc = loc;
        return;
    }
    if (old && old->user) {
        diag_error(p->c, loc, "'%s' is already defined (each name is bound once)", name);
        return;
    }
    if (old) { /* a temporary that happens to have this name moves aside */
        scope_remove(p->sc, name);
        old->v->name = dsl_fresh_name(p, "t");
        old->name = old->v->name;
        scope_insert(p->sc, old);
    }
    Sym *s = dsl_sym_find(p->sc, v->name);
    DType guess = s ? s->guess : v->dtype;
    if (s)
        scope_remove(p->sc, v->name);
    v->name = arena_strdup(p->c->arena, name);
    v->loc = loc;
    dsl_scope_put(p->c->arena, p->sc, v, true, guess);
}

/* Declares a new user name (input, param, const): an error if it exists. */
bool dsl_declare_check(Parser *p, const char *name, Loc loc) {
    Sym *old = dsl_sym_find(p->sc, name);
    if (old && old->user)
        return diag_error(p->c, loc, "'%s' is already defined (each name is bound once)", name);
    if (old) {
        scope_remove(p->sc, name);
        old->v->name = dsl_fresh_name(p, "t");
        old->name = old->v->name;
        scope_insert(p->sc, old);
    }
    return true;
}
