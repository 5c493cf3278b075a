/*
 * plan.c: memory planning, every intermediate tensor at an offset in one arena.
 *
 * The arena is the caller's state buffer.  It holds every node output that
 * is not a folded constant, each node's scratch, and in a training build the
 * parameters and other persistent state (plan_keep_persistent), which come
 * first and live for the whole run, in the order of the training state
 * (train_info_of).  Graph inputs and constants are not in
 * the arena (offset -1).
 *
 * Time is the node index.  A buffer lives from its defining node to its
 * last use; graph outputs and the loss live to the end (time n_nodes);
 * scratch lives only during its node.  Two kinds of sharing come first:
 *   - alias: an OPF_ALIAS op (Reshape, Flatten, Identity, Squeeze, ...)
 *     whose input is in the arena gets no bytes of its own: Value.alias is
 *     set to the root storage value, its offset is the root's, and its uses
 *     extend the root's live range.  Its kernel is a copy onto itself, which
 *     codegen skips (same offset);
 *   - in place (-O2): an OPF_INPLACE op's output takes input 0's bytes when
 *     they have the same size and input 0 dies at this node.
 * Then buffers are placed greedily, largest first, each at the best-fitting
 * gap among the already placed buffers whose live ranges overlap its own
 * (or on top of them), at 64-byte aligned offsets.  The plan records the
 * arena size against the lower bound: the largest total of bytes live at
 * one time.
 */
#include "passes.h"

#include "../codegen/codegen.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_ALIGN 64

static int64_t align_up(int64_t x) { return (x + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

static Plan *plan_get(Graph *g) {
    if (!g->plan)
        g->plan = ARENA_NEW(g->arena, Plan);
    return g->plan;
}

Plan *plan_of(const Graph *g) { return g->plan; }

void plan_keep_persistent(Graph *g, Value *v) {
    Plan *p = plan_get(g);
    for (int i = 0; i < p->n_persistent; i++)
        if (p->persistent[i] == v)
            return;
    Value **a = ARENA_ARRAY(g->arena, Value *, p->n_persistent + 1);
    if (p->n_persistent)
        memcpy(a, p->persistent, sizeof(Value *) * (size_t)p->n_persistent);
    a[p->n_persistent++] = v;
    p->persistent = a;
}

/* One block of bytes to place: a root value or a node's scratch. */
typedef struct Block {
    int64_t bytes;   /* requested */
    int64_t size;    /* aligned */
    int start, end;  /* live range in node indices, inclusive */
    int value;       /* value id, or -1 for scratch */
    int node;        /* scratch: node index */
    int64_t off;
} Block;

static int cmp_by_size(const void *pa, const void *pb) {
    const Block *a = *(Block *const *)pa, *b = *(Block *const *)pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int cmp_by_off(const void *pa, const void *pb) {
    const Block *a = *(Block *const *)pa, *b = *(Block *const *)pb;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    return a->size < b->size ? -1 : a->size > b->size;
}

/* Places blocks (not persistent) at offsets >= base; returns the top. */
static int64_t place_blocks(Block **order, int n, int64_t base) {
    qsort(order, (size_t)n, sizeof(Block *), cmp_by_size);
    Block **near = malloc(sizeof(Block *) * (size_t)(n + 1));
    DLCC_ASSERT(near);
    int64_t top = base;
    for (int i = 0; i < n; i++) {
        Block *b = order[i];
        int k = 0;
        for (int j = 0; j < i; j++) {
            Block *o = order[j];
            if (o->size > 0 && o->start <= b->end && b->start <= o->end)
                near[k++] = o;
        }
        qsort(near, (size_t)k, sizeof(Block *), cmp_by_off);
        int64_t at = base, best = -1, best_gap = INT64_MAX;
        for (int j = 0; j < k; j++) {
            int64_t gap = near[j]->off - at;
            if (gap >= b->size && gap < best_gap) {
                best = at;
                best_gap = gap;
            }
            if (near[j]->off + near[j]->size > at)
                at = near[j]->off + near[j]->size;
        }
        b->off = best >= 0 ? best : at;
        if (b->off + b->size > top)
            top = b->off + b->size;
    }
    free(near);
    return top;
}

static int find_root(int *root, int id) {
    while (root[id] != id)
        id = root[id] = root[root[id]];
    return id;
}

bool pass_plan(Graph *g, Ctx *c) {
    int n = g->n_nodes, nv = g->n_values;
    Plan *p = plan_get(g);
    graph_count_uses(g);
    int *root = malloc(sizeof(int) * (size_t)(nv + 1));
    int *start = malloc(sizeof(int) * (size_t)(nv + 1));
    int *end = malloc(sizeof(int) * (size_t)(nv + 1));
    bool *persist = calloc((size_t)nv + 1, sizeof(bool));
    bool *aliased = calloc((size_t)nv + 1, sizeof(bool));
    size_t *scratch = calloc((size_t)n + 1, sizeof(size_t));
    DLCC_ASSERT(root && start && end && persist && aliased && scratch);
    for (int i = 0; i < nv; i++) {
        root[i] = -1;
        start[i] = 0;
        end[i] = n;
        g->values[i]->offset = -1;
        g->values[i]->alias = NULL;
    }
    bool ok = codegen_measure_scratch(g, c, scratch);

    /* Persistent storage, in this order: the training state as TrainInfo
     * lists it (trainable params, optimizer moments, statistics, the step
     * counter), other params of a training build, values kept with
     * plan_keep_persistent. */
    const TrainInfo *ti = c->train ? train_info_of(g) : NULL;
    int n_state = ti ? ti->n_state : 0, n_train = c->train ? g->n_params : 0;
    Value **pers = malloc(sizeof(Value *) * (size_t)(n_state + n_train + p->n_persistent + 1));
    DLCC_ASSERT(pers);
    int n_pers = 0;
    for (int k = 0; k < n_state + n_train + p->n_persistent; k++) {
        Value *v = k < n_state ? ti->state[k]
                   : k < n_state + n_train ? g->params[k - n_state]
                                           : p->persistent[k - n_state - n_train];
        if (!v || persist[v->id])
            continue;
        root[v->id] = v->id;
        persist[v->id] = true;
        pers[n_pers++] = v;
    }

    /* Roots, aliases and live ranges. */
    for (int i = 0; ok && i < n; i++) {
        Node *nd = g->nodes[i];
        for (int j = 0; j < nd->n_in; j++) {
            Value *x = nd->in[j];
            if (x && root[x->id] >= 0) {
                int r = find_root(root, x->id);
                if (!persist[r] && end[r] < i)
                    end[r] = i;
            }
        }
        for (int j = 0; j < nd->n_out; j++) {
            Value *v = nd->out[j];
            if (v->data || root[v->id] >= 0)
                continue; /* folded constant, or persistent */
            Value *x = nd->n_in > 0 ? nd->in[0] : NULL;
            if (j == 0 && (node_info(nd)->flags & OPF_ALIAS) && x && root[x->id] >= 0 &&
                value_bytes(x) == value_bytes(v)) {
                root[v->id] = find_root(root, x->id);
                aliased[v->id] = true;
            } else {
                root[v->id] = v->id;
                start[v->id] = end[v->id] = i;
            }
        }
    }
    for (int i = 0; ok && i < g->n_outputs + 1; i++) {
        Value *v = i < g->n_outputs ? g->outputs[i] : g->loss;
        if (v && root[v->id] >= 0)
            end[find_root(root, v->id)] = n;
    }

    /* In place: output 0 of an OPF_INPLACE op takes input 0's bytes when
     * input 0's storage dies here and nothing else of the node reads it. */
    for (int i = 0; ok && c->opt_level >= 2 && i < n; i++) {
        Node *nd = g->nodes[i];
        if (!(node_info(nd)->flags & OPF_INPLACE) || nd->n_in < 1 || !nd->in[0] || nd->n_out < 1)
            continue;
        Value *x = nd->in[0], *y = nd->out[0];
        if (root[x->id] < 0 || root[y->id] != y->id || persist[y->id])
            continue;
        int r = find_root(root, x->id);
        if (persist[r] || end[r] != i || value_bytes(g->values[r]) != value_bytes(y))
            continue;
        bool shared = false;
        for (int j = 1; j < nd->n_in; j++)
            shared = shared || (nd->in[j] && root[nd->in[j]->id] >= 0 && find_root(root, nd->in[j]->id) == r);
        if (shared)
            continue;
        root[y->id] = r;
        end[r] = end[y->id];
    }

    /* Blocks: persistent ones first, at fixed offsets; then the rest. */
    Block *blocks = calloc((size_t)(nv + n) + 1, sizeof(Block));
    Block **order = malloc(sizeof(Block *) * (size_t)(nv + n + 1));
    DLCC_ASSERT(blocks && order);
    int nb = 0, no = 0;
    int64_t off = 0, persistent_raw = 0;
    for (int k = 0; ok && k < n_pers; k++) {
        Value *v = pers[k];
        v->offset = off;
        persistent_raw += (int64_t)value_bytes(v);
        off += align_up((int64_t)value_bytes(v));
    }
    int64_t base = off;
    for (int i = 0; ok && i < nv; i++)
        if (root[i] == i && !persist[i]) {
            Block *b = &blocks[nb++];
            b->bytes = (int64_t)value_bytes(g->values[i]);
            b->size = align_up(b->bytes);
            b->start = start[i];
            b->end = end[i];
            b->value = i;
            b->node = -1;
            order[no++] = b;
        }
    for (int i = 0; ok && i < n; i++)
        if (scratch[i] > 0) {
            Block *b = &blocks[nb++];
            b->bytes = (int64_t)scratch[i];
            b->size = align_up(b->bytes);
            b->start = b->end = i;
            b->value = -1;
            b->node = i;
            order[no++] = b;
        }
    int64_t top = ok ? place_blocks(order, no, base) : 0;

    if (ok) {
        /* Offsets of every arena value. */
        for (int i = 0; i < nb; i++)
            if (blocks[i].value >= 0)
                g->values[blocks[i].value]->offset = blocks[i].off;
        for (int i = 0; i < nv; i++) {
            if (root[i] < 0)
                continue;
            int r = find_root(root, i);
            if (r == i)
                continue; /* its own block, or persistent */
            g->values[i]->offset = g->values[r]->offset;
            if (aliased[i])
                g->values[i]->alias = g->values[r];
        }
        /* The plan. */
        p->n_nodes = n;
        p->scratch_off = ARENA_ARRAY(g->arena, int64_t, n + 1);
        p->scratch_bytes = ARENA_ARRAY(g->arena, size_t, n + 1);
        for (int i = 0; i < n; i++)
            p->scratch_off[i] = -1;
        int64_t *delta = calloc((size_t)n + 2, sizeof(int64_t));
        DLCC_ASSERT(delta);
        p->sum_bytes = persistent_raw;
        for (int i = 0; i < nb; i++) {
            const Block *b = &blocks[i];
            if (b->node >= 0) {
                p->scratch_off[b->node] = b->off;
                p->scratch_bytes[b->node] = (size_t)b->bytes;
            }
            p->sum_bytes += b->bytes;
            delta[b->start] += b->bytes;
            delta[b->end + 1] -= b->bytes;
        }
        int64_t live = 0, peak = 0;
        for (int t = 0; t <= n; t++) {
            live += delta[t];
            if (live > peak)
                peak = live;
        }
        free(delta);
        p->lower_bound = persistent_raw + peak;
        p->persistent_bytes = base;
        p->arena_bytes = align_up(top);
    }
    free(pers);
    free(order);
    free(blocks);
    free(root);
    free(start);
    free(end);
    free(persist);
    free(aliased);
    free(scratch);
    return ok && !ctx_failed(c);
}
