/*
 * bind.c: binding symbolic dimensions to integers.
 *
 * Graph inputs and targets may have symbolic dims ("N" in f32[N, 784]).
 * Every value with a symbol takes its value from the --dim bindings
 * (c->dims); a symbol without a binding becomes 1, with one warning per
 * symbol.  Afterwards no value has a symbol left (sym[i] = NULL), so every
 * later pass and the IR printer see concrete numbers.  A --dim binding that
 * names no symbol of the graph gets a warning too: it is probably a typo.
 */
#include "passes.h"

#include <string.h>

static const DimBinding *find_binding(const Ctx *c, const char *sym) {
    for (int i = c->n_dims - 1; i >= 0; i--) /* the last --dim wins */
        if (c->dims[i].name && !strcmp(c->dims[i].name, sym))
            return &c->dims[i];
    return NULL;
}

/* Marks the bindings named in the declared shapes of data-dependent outputs
 * ("__dims<K>" = "N,3", see node_declared_dims) as used. */
static void bind_mark_declared(const Graph *g, const Ctx *c, bool *used) {
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = g->nodes[i];
        for (int a = 0; a < n->n_attrs; a++) {
            if (strncmp(n->attrs[a].name, "__dims", 6) || n->attrs[a].kind != AT_STRING || !n->attrs[a].s)
                continue;
            for (const char *p = n->attrs[a].s; *p;) {
                size_t len = strcspn(p, ",");
                for (int k = 0; k < c->n_dims; k++)
                    if (strlen(c->dims[k].name) == len && !strncmp(c->dims[k].name, p, len))
                        used[k] = true;
                p += len + (p[len] == ',');
            }
        }
    }
}

bool pass_bind_dims(Graph *g, Ctx *c) {
    bool *used = arena_alloc(c->arena, sizeof(bool) * (size_t)(c->n_dims + 1));
    const char **warned = arena_alloc(c->arena, sizeof(char *) * (size_t)(g->n_values * DLCC_MAX_RANK + 1));
    int n_warned = 0;
    for (int i = 0; i < c->n_dims; i++)
        if (c->dims[i].value < 0) {
            Loc loc = {0};
            loc.file = c->source_file;
            return diag_error(c, loc, "--dim %s=%lld: a dimension cannot be negative", c->dims[i].name,
                              (long long)c->dims[i].value);
        }
    for (int i = 0; i < g->n_values; i++) {
        Value *v = g->values[i];
        for (int d = 0; d < v->rank && d < DLCC_MAX_RANK; d++) {
            const char *sym = v->sym[d];
            if (!sym)
                continue;
            const DimBinding *b = find_binding(c, sym);
            if (b) {
                used[b - c->dims] = true;
                v->dims[d] = b->value;
            } else {
                v->dims[d] = 1;
                /* Node outputs are recomputed by shape inference; only the
                 * values the caller supplies need a warning. */
                bool known = v->kind == VK_NODE;
                for (int k = 0; k < n_warned && !known; k++)
                    known = !strcmp(warned[k], sym);
                if (!known) {
                    warned[n_warned++] = sym;
                    diag_warning(c, v->loc, "symbolic dimension '%s' is not bound; using 1 (bind it with --dim %s=VALUE)",
                                 sym, sym);
                }
            }
            v->sym[d] = NULL;
        }
    }
    bind_mark_declared(g, c, used);
    for (int i = 0; i < c->n_dims; i++) {
        bool seen = used[i];
        for (int k = 0; k < i && !seen; k++) /* an earlier duplicate of a used binding */
            seen = used[k] && !strcmp(c->dims[k].name, c->dims[i].name);
        for (int k = i + 1; k < c->n_dims && !seen; k++)
            seen = used[k] && !strcmp(c->dims[k].name, c->dims[i].name);
        if (!seen) {
            Loc loc = {0};
            loc.file = c->source_file;
            diag_warning(c, loc, "--dim %s=%lld: the model has no symbolic dimension '%s'", c->dims[i].name,
                         (long long)c->dims[i].value, c->dims[i].name);
        }
    }
    return !ctx_failed(c);
}
