/*
 * codegen.c: the driver that turns a planned Graph into net.c and net.h.
 *
 * First every value gets a storage: the state arena at Value.offset (set
 * by pass_plan; Value.alias chains are followed), the weights blob
 * (constants, folded values, and parameters of inference builds), or a
 * caller's input.  Then each node becomes one static kernel whose body its
 * op's emitter writes (codegen.h); kernels go to a buffer of their own,
 * since emitters may still ask for runtime pieces and weights.  Finally the
 * file is assembled in order: comment, includes, the API declarations
 * (the same text as net.h, so net.c needs no header), runtime pieces, the
 * weights, the kernels and the API functions.
 *
 * Codegen adds a small area of its own after the planned arena: copies of
 * misaligned inputs (callers' buffers need no alignment, kernels may index
 * them as typed arrays), outputs nobody reads that the planner left
 * without an offset, and scratch that the plan did not reserve.
 * NET_STATE_SIZE covers both and is at least 64.
 *
 * Training builds reuse all of this; codegen_emit_train (codegen/train.c)
 * adds the training API with the helpers declared at the end of codegen.h.
 */
#include <string.h>

#include "codegen.h"
#include "../passes/passes.h"

typedef enum StoreKind { ST_NONE, ST_STATE, ST_WEIGHTS, ST_INPUT, ST_TARGET, ST_STRINGS } StoreKind;

typedef struct Storage {
    StoreKind kind;
    int64_t off; /* ST_STATE, ST_WEIGHTS */
    int index;   /* ST_INPUT, ST_TARGET */
} Storage;

enum { SKIP_NONE, SKIP_FOLDED, SKIP_ALIAS, SKIP_FAILED };

struct Codegen {
    Graph *g;
    Ctx *c;
    const char *prefix, *upper;
    Buf blob;            /* weight bytes */
    bool blob_used;
    int64_t *value_woff; /* by value id: offset in blob, -1 */
    const void **wptr;   /* emit_weight data already in the blob */
    int64_t *woff;
    int n_w, cap_w;
    const char **pieces;
    int n_pieces, cap_pieces;
    int64_t own_end;     /* end of codegen's own state area */
    int64_t *own_off;    /* by value id: own offset of an unplanned output, -1 */
    int64_t *in_stage, *tg_stage;
    const char **ws;     /* by node: scratch pointer expression */
    unsigned char *skip; /* by node: SKIP_* */
    Buf kernels;
    /* subgraph bodies (codegen_emit_subgraph): the file's codegen, which
     * holds the weights, runtime pieces and kernel text (itself for the main
     * graph), and the prefix of kernel names */
    Codegen *root;
    const char *kprefix;
    /* string tensors: constant string arrays (PREFIX_sK, in strconsts), by
     * data pointer; the string arena (str_off, -1 until a kernel asks) */
    Buf strconsts;
    const void **str_ptr;
    int n_str, cap_str;
    int64_t str_off, str_bytes;
    bool str_req;
};

static int64_t align64(int64_t x) { return (x + 63) & ~(int64_t)63; }

const char *codegen_prefix(const Codegen *cg) { return cg->prefix; }
const char *codegen_prefix_upper(const Codegen *cg) { return cg->upper; }
Graph *codegen_graph(const Codegen *cg) { return cg->g; }
Ctx *codegen_ctx(const Codegen *cg) { return cg->c; }

void codegen_use_runtime(Codegen *cg, const char *name) {
    cg = cg->root;
    for (int i = 0; i < cg->n_pieces; i++)
        if (!strcmp(cg->pieces[i], name))
            return;
    if (cg->n_pieces == cg->cap_pieces) {
        cg->cap_pieces = cg->cap_pieces ? 2 * cg->cap_pieces : 8;
        const char **p = ARENA_ARRAY(cg->c->arena, const char *, cg->cap_pieces);
        if (cg->n_pieces)
            memcpy(p, cg->pieces, sizeof *p * (size_t)cg->n_pieces);
        cg->pieces = p;
    }
    cg->pieces[cg->n_pieces++] = arena_strdup(cg->c->arena, name);
}

static int64_t codegen_own_alloc(Codegen *cg, int64_t bytes) {
    int64_t at = cg->own_end;
    cg->own_end = align64(at + (bytes > 0 ? bytes : 1));
    return at;
}

/* ---------------------------------------------------------------- weights */

static void codegen_put_string(Buf *out, const char *s);

static int64_t codegen_blob_add(Codegen *cg, const void *data, size_t bytes) {
    static const unsigned char zeros[64];
    cg = cg->root;
    cg->blob_used = true;
    size_t pad = (size_t)align64((int64_t)cg->blob.len) - cg->blob.len;
    buf_write(&cg->blob, zeros, pad);
    int64_t at = (int64_t)cg->blob.len;
    if (bytes)
        buf_write(&cg->blob, data, bytes);
    return at;
}

const char *emit_weight(Emit *e, const void *data, size_t bytes, DType t) {
    Codegen *cg = e->cg;
    if (e->measure || !cg)
        return arena_printf(e->ctx->arena, "((const %s *)0)", dtype_ctype(t));
    cg = cg->root;
    int i = 0;
    while (i < cg->n_w && cg->wptr[i] != data)
        i++;
    if (i == cg->n_w) {
        if (cg->n_w == cg->cap_w) {
            cg->cap_w = cg->cap_w ? 2 * cg->cap_w : 16;
            const void **p = ARENA_ARRAY(cg->c->arena, const void *, cg->cap_w);
            int64_t *o = ARENA_ARRAY(cg->c->arena, int64_t, cg->cap_w);
            if (cg->n_w) {
                memcpy(p, cg->wptr, sizeof *p * (size_t)cg->n_w);
                memcpy(o, cg->woff, sizeof *o * (size_t)cg->n_w);
            }
            cg->wptr = p;
            cg->woff = o;
        }
        cg->wptr[i] = data;
        cg->woff[i] = codegen_blob_add(cg, data, bytes);
        cg->n_w++;
    }
    return arena_printf(cg->c->arena, "((const %s *)(%s_weights + %lld))", dtype_ctype(t), cg->prefix,
                        (long long)cg->woff[i]);
}

/* A string constant: `static const dlcc_str PREFIX_sK[N] = {...};`, once per
 * data pointer; returns K. */
static int codegen_value_strings(Codegen *cg, const Value *v) {
    cg = cg->root;
    for (int i = 0; i < cg->n_str; i++)
        if (cg->str_ptr[i] == v->data)
            return i;
    if (cg->n_str == cg->cap_str) {
        cg->cap_str = cg->cap_str ? 2 * cg->cap_str : 8;
        const void **p = ARENA_ARRAY(cg->c->arena, const void *, cg->cap_str);
        if (cg->n_str)
            memcpy(p, cg->str_ptr, sizeof *p * (size_t)cg->n_str);
        cg->str_ptr = p;
    }
    int k = cg->n_str++;
    cg->str_ptr[k] = v->data;
    int64_t n = value_numel(v);
    const char *const *s = v->data;
    buf_printf(&cg->strconsts, "static const dlcc_str %s_s%d[%lld] = {", cg->prefix, k, (long long)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        buf_puts(&cg->strconsts, i % 8 ? ", " : "\n    ");
        codegen_put_string(&cg->strconsts, s && s[i] ? s[i] : "");
    }
    buf_puts(&cg->strconsts, n > 0 ? "};\n" : "\"\"};\n");
    return k;
}

static int64_t codegen_value_weight(Codegen *cg, const Value *v) {
    if (v->id >= 0 && v->id < cg->g->n_values && cg->g->values[v->id] == v) {
        if (cg->value_woff[v->id] < 0)
            cg->value_woff[v->id] = codegen_blob_add(cg, v->data, value_bytes(v));
        return cg->value_woff[v->id];
    }
    return codegen_blob_add(cg, v->data, value_bytes(v));
}

/* ---------------------------------------------------------------- storage */

static const Value *codegen_resolve(const Value *v) {
    for (int k = 0; v->alias && v->alias != v && k < 64; k++)
        v = v->alias;
    return v;
}

static bool codegen_storage(Codegen *cg, const Value *v, Storage *st) {
    Graph *g = cg->g;
    v = codegen_resolve(v);
    memset(st, 0, sizeof *st);
    if (value_is_const(v) || (v->kind == VK_PARAM && !cg->c->train)) {
        if (!v->data && value_bytes(v) > 0)
            return false;
        if (v->dtype == DT_STRING) {
            st->kind = ST_STRINGS;
            st->off = codegen_value_strings(cg, v);
            return true;
        }
        st->kind = ST_WEIGHTS;
        st->off = codegen_value_weight(cg, v);
        return true;
    }
    if (v->kind == VK_INPUT || v->kind == VK_TARGET) {
        Value **list = v->kind == VK_INPUT ? g->inputs : g->targets;
        int n = v->kind == VK_INPUT ? g->n_inputs : g->n_targets;
        for (int i = 0; i < n; i++)
            if (list[i] == v) {
                st->kind = v->kind == VK_INPUT ? ST_INPUT : ST_TARGET;
                st->index = i;
                return true;
            }
        return false;
    }
    if (v->offset >= 0) {
        st->kind = ST_STATE;
        st->off = v->offset;
        return true;
    }
    if (v->id >= 0 && v->id < g->n_values && cg->own_off[v->id] >= 0) {
        st->kind = ST_STATE;
        st->off = cg->own_off[v->id];
        return true;
    }
    return false;
}

static bool codegen_storage_overlap(const Storage *a, int64_t na, const Storage *b, int64_t nb) {
    if (a->kind != b->kind || na <= 0 || nb <= 0)
        return false;
    if (a->kind == ST_INPUT || a->kind == ST_TARGET)
        return a->index == b->index;
    return a->off < b->off + nb && b->off < a->off + na;
}

static const char *codegen_storage_expr(Codegen *cg, const Storage *st, DType t, bool is_const) {
    const char *q = is_const ? "const " : "";
    const char *ct = dtype_ctype(t);
    Arena *a = cg->c->arena;
    switch (st->kind) {
    case ST_STATE: return arena_printf(a, "(%s%s *)((char *)state + %lld)", q, ct, (long long)st->off);
    case ST_WEIGHTS:
        return arena_printf(a, "(const %s *)(%s_weights + %lld)", ct, cg->prefix, (long long)st->off);
    case ST_INPUT: return arena_printf(a, "(const %s *)in[%d]", ct, st->index);
    case ST_TARGET: return arena_printf(a, "(const %s *)tg[%d]", ct, st->index);
    case ST_STRINGS: return arena_printf(a, "(const %s *)%s_s%lld", ct, cg->prefix, (long long)st->off);
    case ST_NONE: break;
    }
    return NULL;
}

const char *codegen_value_ptr(Codegen *cg, const Value *v, bool is_const) {
    Storage st;
    if (!codegen_storage(cg, v, &st)) {
        diag_error(cg->c, v->loc, "internal error: value '%s' has no storage (not planned)", v->name);
        return NULL;
    }
    if (!is_const && st.kind != ST_STATE) {
        diag_error(cg->c, v->loc, "internal error: value '%s' is written but is not in the state", v->name);
        return NULL;
    }
    return codegen_storage_expr(cg, &st, v->dtype, is_const);
}

/* ---------------------------------------------------------------- text helpers */

/* Text that is safe inside a C comment: no "*" "/" pairs, trigraphs or odd bytes. */
static const char *codegen_comment_text(Arena *a, const char *s) {
    if (!s)
        return "";
    size_t n = strlen(s);
    if (n > 80)
        n = 80;
    char *t = arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        t[i] = (ch >= 0x20 && ch < 0x7f && ch != '*' && ch != '?' && ch != '\\') ? ch : '_';
    }
    return t;
}

/* A C string literal of s. */
static void codegen_put_string(Buf *out, const char *s) {
    buf_puts(out, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            buf_printf(out, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f)
            buf_printf(out, "%c", *p);
        else
            buf_printf(out, "\\%03o", *p);
    }
    buf_puts(out, "\"");
}

static const char *codegen_value_desc(Arena *a, const Value *v) {
    if (!v)
        return "none";
    return arena_printf(a, "%s %s", codegen_comment_text(a, v->name), value_type_str(a, v));
}

/* ---------------------------------------------------------------- kernels */

/* Decides how node i is run and writes its kernel into cg->kernels. */
static bool codegen_emit_kernel(Codegen *cg, int i) {
    Graph *g = cg->g;
    Ctx *c = cg->c;
    Arena *a = c->arena;
    Node *n = g->nodes[i];
    const OpInfo *info = node_info(n);
    int n_const = 0;
    for (int k = 0; k < n->n_out; k++)
        n_const += value_is_const(n->out[k]);
    if (n->n_out > 0 && n_const == n->n_out) {
        cg->skip[i] = SKIP_FOLDED;
        return true;
    }
    if (n_const)
        return node_error(c, n, "internal error: only some outputs were constant-folded");

    Storage *st = ARENA_ARRAY(a, Storage, n->n_in + n->n_out);
    int64_t *bytes = ARENA_ARRAY(a, int64_t, n->n_in + n->n_out);
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        Value *v = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (!v)
            continue;
        if (v->dtype == DT_UNDEF)
            return node_error(c, n, "tensors of type %s are not supported by the C code generator",
                              dtype_name(v->dtype));
        bytes[k] = (int64_t)value_bytes(v);
        if (k >= n->n_in && v->offset < 0 && !v->alias && v->n_uses == 0)
            cg->own_off[v->id] = codegen_own_alloc(cg, bytes[k]);
        if (!codegen_storage(cg, v, &st[k]))
            return node_error(c, n, "internal error: value '%s' has no storage (not planned)", v->name);
        if (k >= n->n_in && st[k].kind != ST_STATE)
            return node_error(c, n, "internal error: output '%s' is not in the state", v->name);
    }
    if ((info->flags & OPF_ALIAS) && n->n_in > 0 && n->in[0]) {
        bool same = true;
        for (int k = 0; k < n->n_out; k++)
            same = same && st[n->n_in + k].kind == st[0].kind && st[n->n_in + k].off == st[0].off &&
                   st[n->n_in + k].index == st[0].index;
        if (same) {
            cg->skip[i] = SKIP_ALIAS;
            return true;
        }
    }

    Buf body = {0};
    Emit e = {.buf = &body, .node = n, .graph = g, .ctx = c, .cg = cg, .prefix = cg->prefix, .indent = 1};
    int errors = c->n_errors;
    cg->root->str_req = false;
    if (!info->emit || !info->emit(&e)) {
        if (c->n_errors == errors)
            node_error(c, n, "no code generator for this operator");
        cg->skip[i] = SKIP_FAILED;
        buf_free(&body);
        return false;
    }
    if (cg->root->str_req) {
        if (e.scratch > 0 || cg != cg->root) {
            buf_free(&body);
            cg->skip[i] = SKIP_FAILED;
            return node_error(c, n, "internal error: a kernel that creates strings %s",
                              e.scratch > 0 ? "asked for scratch" : "is inside a subgraph (not supported)");
        }
        cg->ws[i] = arena_printf(a, "(void *)((char *)state + %lld)", (long long)cg->str_off);
    } else if (e.scratch > 0) {
        const Plan *plan = g->plan;
        if (plan && i < plan->n_nodes && plan->scratch_off && plan->scratch_off[i] >= 0 &&
            plan->scratch_bytes[i] >= e.scratch)
            cg->ws[i] = arena_printf(a, "(void *)((char *)state + %lld)", (long long)plan->scratch_off[i]);
        else
            cg->ws[i] = arena_printf(a, "(void *)((char *)state + %lld)",
                                     (long long)codegen_own_alloc(cg, (int64_t)e.scratch));
    }

    Buf *out = &cg->root->kernels;
    buf_printf(out, "/* node %d: %s", i, info->name);
    if (n->name)
        buf_printf(out, " '%s'", codegen_comment_text(a, n->name));
    buf_puts(out, n->n_in ? "\n *   in: " : "\n *   in: (none)");
    for (int k = 0; k < n->n_in; k++)
        buf_printf(out, "%s%s", k ? ", " : "", codegen_value_desc(a, n->in[k]));
    buf_puts(out, "\n *   out: ");
    for (int k = 0; k < n->n_out; k++)
        buf_printf(out, "%s%s", k ? ", " : "", codegen_value_desc(a, n->out[k]));
    buf_printf(out, " */\nstatic int %s_k%d(", cg->kprefix, i);
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        bool is_in = k < n->n_in;
        Value *v = is_in ? n->in[k] : n->out[k - n->n_in];
        bool restrict_ok = !v || bytes[k] > 0; /* empty tensors may share an address (-Wrestrict) */
        for (int j = 0; v && j < n->n_in + n->n_out; j++) {
            Value *w = j < n->n_in ? n->in[j] : n->out[j - n->n_in];
            if (j != k && w && (!is_in || j >= n->n_in) && codegen_storage_overlap(&st[k], bytes[k], &st[j], bytes[j]))
                restrict_ok = false;
        }
        const char *type = v ? dtype_ctype(v->dtype) : "void";
        buf_printf(out, "%s%s%s *%s%c%d", k ? ", " : "", is_in ? "const " : "", type, restrict_ok ? "restrict " : "",
                   is_in ? 'x' : 'y', is_in ? k : k - n->n_in);
    }
    buf_printf(out, "%svoid *restrict ws) {\n", n->n_in + n->n_out ? ", " : "");
    for (int k = 0; k < n->n_in; k++)
        buf_printf(out, "    (void)x%d;\n", k);
    for (int k = 0; k < n->n_out; k++)
        buf_printf(out, "    (void)y%d;\n", k);
    buf_puts(out, "    (void)ws;\n");
    /* a block of its own, so that an emitter's last unbraced loop never
     * looks like it owns the return (-Wmisleading-indentation) */
    if (body.len) {
        buf_puts(out, "    {\n");
        buf_write(out, body.data, body.len);
        buf_puts(out, "    }\n");
    }
    buf_puts(out, "    return 0;\n}\n\n");
    buf_free(&body);
    return true;
}

bool codegen_emit_calls(Codegen *cg, Buf *out, Value *const *roots, int n_roots) {
    Graph *g = cg->g;
    bool *need = NULL;
    if (roots) {
        bool *live = ARENA_ARRAY(cg->c->arena, bool, g->n_values + 1);
        need = ARENA_ARRAY(cg->c->arena, bool, g->n_nodes + 1);
        for (int k = 0; k < n_roots; k++)
            live[codegen_resolve(roots[k])->id] = live[roots[k]->id] = true;
        for (int i = g->n_nodes - 1; i >= 0; i--) {
            Node *n = g->nodes[i];
            for (int k = 0; k < n->n_out; k++)
                need[i] = need[i] || live[n->out[k]->id];
            for (int k = 0; need[i] && k < n->n_in; k++)
                if (n->in[k])
                    live[n->in[k]->id] = live[codegen_resolve(n->in[k])->id] = true;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (need && !need[i])
            continue;
        if (cg->skip[i] == SKIP_FOLDED)
            continue;
        if (cg->skip[i] == SKIP_ALIAS) {
            buf_printf(out, "    /* node %d (%s): output shares its input's bytes */\n", i, node_info(n)->name);
            continue;
        }
        if (cg->skip[i] == SKIP_FAILED)
            return false;
        buf_printf(out, "    rc = %s_k%d(", cg->kprefix, i);
        for (int k = 0; k < n->n_in + n->n_out; k++) {
            bool is_in = k < n->n_in;
            Value *v = is_in ? n->in[k] : n->out[k - n->n_in];
            const char *p = v ? codegen_value_ptr(cg, v, is_in) : "NULL";
            if (!p)
                return false;
            buf_printf(out, "%s%s", k ? ", " : "", p);
        }
        buf_printf(out, "%s%s);\n    if (rc < 0)\n        return rc;\n", n->n_in + n->n_out ? ", " : "",
                   cg->ws[i] ? cg->ws[i] : "NULL");
    }
    return true;
}

/* ---------------------------------------------------------------- API functions */

/* One dlcc_tensor_desc initialiser line; rank -1 (a sequence or absent
 * optional slot): dims[0] counts the items. */
static void codegen_put_desc(Buf *out, const char *name, DType dt, int rank, const int64_t *dims) {
    buf_puts(out, "    {");
    codegen_put_string(out, name);
    buf_printf(out, ", %d, %d, {", (int)dt, rank);
    for (int d = 0; d < (rank < 0 ? 1 : rank); d++)
        buf_printf(out, "%s%lld", d ? ", " : "", (long long)dims[d]);
    buf_printf(out, "%s}},\n", rank ? "" : "0");
}

void codegen_emit_descs(Codegen *cg, Buf *out, const char *what, Value *const *vals, int n) {
    buf_printf(out, "const dlcc_tensor_desc %s_%s[%d] = {\n", cg->prefix, what, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        codegen_put_desc(out, vals[i]->name, vals[i]->dtype, vals[i]->rank, vals[i]->dims);
    if (n == 0)
        buf_puts(out, "    {0, 0, 0, {0}},\n");
    buf_puts(out, "};\n");
}

/* ---------------------------------------------------------------- sequence and optional slots */

static int codegen_run_outputs(const Codegen *cg);

/* The C expression of API item `flat` (an index into g->inputs or
 * g->outputs): arr[k] for a tensor or optional slot k, the j-th pointer of
 * the caller's array for a sequence slot. */
static const char *codegen_item_expr(Codegen *cg, bool output, const char *arr, int flat) {
    const Graph *g = cg->g;
    const IoSlot *slots = output ? g->out_slots : g->in_slots;
    int n = output ? g->n_out_slots : g->n_in_slots;
    if (!slots || cg != cg->root)
        return arena_printf(cg->c->arena, "%s[%d]", arr, flat);
    for (int k = 0, at = 0; k < n; k++) {
        if (flat < at + slots[k].n) {
            if (slots[k].kind == IO_TENSOR || slots[k].kind == IO_OPTIONAL)
                return arena_printf(cg->c->arena, "%s[%d]", arr, k);
            return arena_printf(cg->c->arena, "((%svoid *const *)%s[%d])[%d]", output ? "" : "const ", arr, k,
                                flat - at);
        }
        at += slots[k].n;
    }
    return arena_printf(cg->c->arena, "%s[%d]", arr, flat);
}

static int codegen_slot_count(const Codegen *cg, bool output, int n_flat) {
    const Graph *g = cg->g;
    if (output)
        return g->out_slots ? g->n_out_slots : n_flat;
    return g->in_slots ? g->n_in_slots : n_flat;
}

/* Checks that a sequence slot's pointer array is there. */
static void codegen_emit_slot_checks(Codegen *cg, Buf *out, bool output, const char *arr) {
    const IoSlot *slots = output ? cg->g->out_slots : cg->g->in_slots;
    int n = output ? cg->g->n_out_slots : cg->g->n_in_slots;
    for (int k = 0; slots && k < n; k++)
        if ((slots[k].kind == IO_SEQUENCE || slots[k].kind == IO_OPTIONAL_SEQUENCE) && slots[k].n > 0)
            buf_printf(out, "    if (!%s[%d])\n        return -DLCC_ERR_ARG;\n", arr, k);
}

/* net_inputs[] / net_outputs[] of a graph with slots, and the
 * net_input_kinds[] / net_output_kinds[] tables with each sequence's items. */
static void codegen_emit_slot_descs(Codegen *cg, Buf *out, bool output) {
    const IoSlot *slots = output ? cg->g->out_slots : cg->g->in_slots;
    int n = output ? cg->g->n_out_slots : cg->g->n_in_slots;
    const char *what = output ? "output" : "input";
    if (!slots) { /* this side has tensors only */
        n = output ? codegen_run_outputs(cg) : cg->g->n_inputs;
        codegen_emit_descs(cg, out, output ? "outputs" : "inputs", output ? cg->g->outputs : cg->g->inputs, n);
        buf_printf(out, "const dlcc_io_desc %s_%s_kinds[%d] = {\n", cg->prefix, what, n > 0 ? n : 1);
        for (int k = 0; k < (n > 0 ? n : 1); k++)
            buf_puts(out, "    {0, 1, 0, NULL},\n");
        buf_puts(out, "};\n");
        return;
    }
    for (int k = 0; k < n; k++) {
        const IoSlot *sl = &slots[k];
        if (sl->kind != IO_SEQUENCE && sl->kind != IO_OPTIONAL_SEQUENCE)
            continue;
        buf_printf(out, "static const dlcc_tensor_desc %s_%s%d_items[%d] = {\n", cg->prefix, what, k,
                   sl->n > 0 ? sl->n : 1);
        for (int j = 0; j < sl->n; j++) {
            const Value *v = sl->items[j];
            codegen_put_desc(out, v->name, v->dtype, v->rank, v->dims);
        }
        if (!sl->n)
            buf_puts(out, "    {0, 0, 0, {0}},\n");
        buf_puts(out, "};\n");
    }
    buf_printf(out, "const dlcc_tensor_desc %s_%ss[%d] = {\n", cg->prefix, what, n > 0 ? n : 1);
    for (int k = 0; k < n; k++) {
        const IoSlot *sl = &slots[k];
        if (sl->kind == IO_TENSOR || (sl->kind == IO_OPTIONAL && sl->present)) {
            const Value *v = sl->items[0];
            codegen_put_desc(out, sl->name, v->dtype, v->rank, v->dims);
        } else {
            int64_t count = sl->n;
            codegen_put_desc(out, sl->name, sl->dtype, -1, &count);
        }
    }
    buf_puts(out, "};\n");
    buf_printf(out, "const dlcc_io_desc %s_%s_kinds[%d] = {\n", cg->prefix, what, n > 0 ? n : 1);
    for (int k = 0; k < n; k++) {
        const IoSlot *sl = &slots[k];
        bool seq = sl->kind == IO_SEQUENCE || sl->kind == IO_OPTIONAL_SEQUENCE;
        buf_printf(out, "    {%d, %d, %d, ", (int)sl->kind, sl->present ? 1 : 0, seq ? sl->n : 0);
        if (seq)
            buf_printf(out, "%s_%s%d_items},\n", cg->prefix, what, k);
        else
            buf_puts(out, "NULL},\n");
    }
    buf_puts(out, "};\n");
}

/* An input specialised with --const-input: the code was compiled for these
 * bytes only, so any other value is a bad argument (memcmp, not ==: a NaN in
 * Resize's scales must match too). */
static void codegen_emit_pin_check(Buf *out, const char *local, int i, const void *pinned, size_t bytes) {
    const unsigned char *b = pinned;
    buf_printf(out, "    {\n        static const unsigned char pin[%zu] = {", bytes);
    for (size_t k = 0; k < bytes; k++)
        buf_printf(out, "%s0x%02x%s", k % 16 ? " " : "\n            ", b[k], k + 1 < bytes ? "," : "");
    buf_printf(out, "\n        };\n        if (memcmp(%s[%d], pin, %zu) != 0)\n"
                    "            return -DLCC_ERR_ARG; /* compiled for one value of this input */\n    }\n",
               local, i, bytes);
}

static const char *arr_item(Codegen *cg, const char *arr, int i) {
    return arena_printf(cg->c->arena, "%s[%d]", arr, i);
}

static void codegen_emit_stage(Codegen *cg, Buf *out, const char *arr, const char *local, Value *const *vals, int n,
                               const int64_t *stage) {
    bool inputs = vals == cg->g->inputs;
    if (n == 0 && !(inputs && cg->g->in_slots))
        return;
    buf_printf(out, "    if (!%s)\n        return -DLCC_ERR_ARG;\n", arr);
    if (inputs)
        codegen_emit_slot_checks(cg, out, false, arr);
    if (n == 0)
        return;
    buf_printf(out, "    const void *%s[%d];\n", local, n);
    for (int i = 0; i < n; i++) {
        size_t bytes = value_bytes(vals[i]);
        buf_printf(out, "    %s[%d] = %s;\n", local, i,
                   inputs ? codegen_item_expr(cg, false, arr, i) : arr_item(cg, arr, i));
        if (bytes)
            buf_printf(out, "    if (!%s[%d])\n        return -DLCC_ERR_ARG;\n", local, i);
        if (bytes && vals[i]->pinned && vals[i]->dtype != DT_STRING)
            codegen_emit_pin_check(out, local, i, vals[i]->pinned, bytes);
        if (stage[i] >= 0)
            buf_printf(out,
                       "    if (((uintptr_t)%s[%d] & %zu) != 0) {\n"
                       "        memcpy((char *)state + %lld, %s[%d], %zu);\n"
                       "        %s[%d] = (char *)state + %lld;\n    }\n",
                       local, i, dtype_size(vals[i]->dtype) - 1, (long long)stage[i], local, i, bytes, local, i,
                       (long long)stage[i]);
    }
    buf_printf(out, "    (void)%s;\n", local);
}

static int codegen_run_outputs(const Codegen *cg) {
    const TrainInfo *ti = cg->c->train ? cg->g->train : NULL;
    return ti ? ti->n_user_outputs : cg->g->n_outputs;
}

void codegen_emit_prologue(Codegen *cg, Buf *out, bool with_targets, bool with_outputs) {
    Graph *g = cg->g;
    buf_puts(out, "    int rc = 0;\n    (void)rc;\n"
                  "    if (!state || ((uintptr_t)state & 63) != 0)\n        return -DLCC_ERR_ARG;\n");
    if (with_outputs && codegen_slot_count(cg, true, codegen_run_outputs(cg)) > 0) {
        buf_puts(out, "    if (!outputs)\n        return -DLCC_ERR_ARG;\n");
        codegen_emit_slot_checks(cg, out, true, "outputs");
        for (int k = 0; k < codegen_run_outputs(cg); k++)
            if (value_bytes(g->outputs[k]))
                buf_printf(out, "    if (!%s)\n        return -DLCC_ERR_ARG;\n",
                           codegen_item_expr(cg, true, "outputs", k));
    }
    codegen_emit_stage(cg, out, "inputs", "in", g->inputs, g->n_inputs, cg->in_stage);
    if (with_targets)
        codegen_emit_stage(cg, out, "targets", "tg", g->targets, g->n_targets, cg->tg_stage);
    if (cg->root->str_off >= 0)
        buf_printf(out, "    ((size_t *)((char *)state + %lld))[0] = 0; /* the string arena */\n"
                        "    ((size_t *)((char *)state + %lld))[1] = %lld;\n",
                   (long long)cg->root->str_off, (long long)cg->root->str_off, (long long)cg->root->str_bytes);
}

void codegen_emit_copy_out(Codegen *cg, Buf *out, const char *array, Value *const *vals, int n) {
    bool outputs = vals == cg->g->outputs;
    for (int k = 0; k < n; k++) {
        size_t bytes = value_bytes(vals[k]);
        const char *p = codegen_value_ptr(cg, vals[k], true);
        if (bytes && p)
            buf_printf(out, "    memmove(%s, %s, %zu);\n",
                       outputs ? codegen_item_expr(cg, true, array, k) : arr_item(cg, array, k), p, bytes);
    }
}

/* The declarations shared by net.h and net.c. */
static void codegen_emit_decls(Codegen *cg, Buf *out, int64_t state_size) {
    Graph *g = cg->g;
    const char *p = cg->prefix, *u = cg->upper;
    int n_out = codegen_run_outputs(cg);
    buf_puts(out, "#ifndef DLCC_TENSOR_DESC_DEFINED\n#define DLCC_TENSOR_DESC_DEFINED\n"
                  "typedef struct {\n"
                  "    const char *name;   /* graph input/output name */\n"
                  "    int dtype;          /* ONNX TensorProto.DataType code: 1 f32, 7 i64, 9 bool, 11 f64 ... */\n"
                  "    int rank;\n"
                  "    int64_t dims[8];    /* row-major, contiguous, no padding */\n"
                  "} dlcc_tensor_desc;\n#endif\n\n");
    bool slots = g->in_slots || g->out_slots;
    if (slots)
        buf_puts(out, "/* Sequence and optional inputs/outputs (a dlcc extension): kind 1 is a sequence,\n"
                      " * whose buffer is an array of n_items tensor pointers (items[] gives each one's\n"
                      " * type); 2 an optional tensor, 3 an optional sequence.  Lengths, shapes and\n"
                      " * whether an optional is present are fixed at compile time; an absent optional's\n"
                      " * buffer is not read or written (it may be NULL).  net_inputs[] gives such a slot\n"
                      " * rank -1 and dims[0] = its number of items. */\n"
                      "#ifndef DLCC_IO_DESC_DEFINED\n#define DLCC_IO_DESC_DEFINED\n"
                      "typedef struct {\n"
                      "    int kind;                      /* 0 tensor, 1 sequence, 2 optional, 3 optional sequence */\n"
                      "    int present;                   /* optionals: 0 when compiled as empty */\n"
                      "    int n_items;                   /* sequences: number of tensors */\n"
                      "    const dlcc_tensor_desc *items; /* sequences: each tensor's type */\n"
                      "} dlcc_io_desc;\n#endif\n\n");
    int n_in = codegen_slot_count(cg, false, g->n_inputs);
    n_out = codegen_slot_count(cg, true, n_out);
    buf_printf(out, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", u, n_in, u, n_out);
    buf_printf(out, "#define %s_STATE_SIZE %lld /* bytes; exact; a compile-time constant */\n", u,
               (long long)state_size);
    if (slots)
        buf_printf(out, "#define %s_HAS_IO_KINDS 1\n"
                        "extern const dlcc_io_desc %s_input_kinds[%d];\n"
                        "extern const dlcc_io_desc %s_output_kinds[%d];\n",
                   u, p, n_in > 0 ? n_in : 1, p, n_out > 0 ? n_out : 1);
    if (n_in)
        buf_printf(out, "extern const dlcc_tensor_desc %s_inputs[%s_NUM_INPUTS];\n", p, u);
    else
        buf_printf(out, "extern const dlcc_tensor_desc %s_inputs[1]; /* no inputs: one empty entry */\n", p);
    if (n_out)
        buf_printf(out, "extern const dlcc_tensor_desc %s_outputs[%s_NUM_OUTPUTS];\n", p, u);
    else
        buf_printf(out, "extern const dlcc_tensor_desc %s_outputs[1]; /* no outputs: one empty entry */\n", p);
    buf_printf(out,
               "\nsize_t %s_state_size(void);            /* == %s_STATE_SIZE */\n"
               "int    %s_init(void *state);           /* state: %s_STATE_SIZE bytes, 64-byte aligned */\n"
               "int    %s_run(void *state, const void *const inputs[], void *const outputs[]);\n",
               p, u, p, u, p);
}

static void codegen_emit_api(Codegen *cg, Buf *out, int64_t state_size) {
    Graph *g = cg->g;
    const char *p = cg->prefix, *u = cg->upper;
    if (g->in_slots || g->out_slots) {
        codegen_emit_slot_descs(cg, out, false);
        codegen_emit_slot_descs(cg, out, true);
    } else {
        codegen_emit_descs(cg, out, "inputs", g->inputs, g->n_inputs);
        codegen_emit_descs(cg, out, "outputs", g->outputs, codegen_run_outputs(cg));
    }
    buf_printf(out, "\nsize_t %s_state_size(void) { return %s_STATE_SIZE; }\n\n", p, u);

    buf_printf(out, "int %s_init(void *state) {\n"
                    "    if (!state || ((uintptr_t)state & 63) != 0)\n        return -DLCC_ERR_ARG;\n"
                    "    memset(state, 0, %lld);\n", p, (long long)state_size);
    for (int i = 0; cg->c->train && i < g->n_params; i++) {
        Value *v = g->params[i];
        if (v->offset >= 0 && v->data && value_bytes(v))
            buf_printf(out, "    memcpy((char *)state + %lld, %s_weights + %lld, %zu);\n", (long long)v->offset, p,
                       (long long)codegen_value_weight(cg, v), value_bytes(v));
    }
    buf_puts(out, "    return 0;\n}\n\n");

    buf_printf(out, "int %s_run(void *state, const void *const inputs[], void *const outputs[]) {\n", p);
    codegen_emit_prologue(cg, out, false, true);
    if (!cg->c->train)
        codegen_emit_calls(cg, out, NULL, 0);
    else
        codegen_emit_calls(cg, out, g->outputs, codegen_run_outputs(cg));
    codegen_emit_copy_out(cg, out, "outputs", g->outputs, codegen_run_outputs(cg));
    buf_puts(out, "    (void)inputs;\n    (void)outputs;\n    return 0;\n}\n");
}

/* ---------------------------------------------------------------- driver */

static Codegen *codegen_new(Graph *g, Ctx *c, const char *prefix) {
    Arena *a = c->arena;
    Codegen *cg = ARENA_NEW(a, Codegen);
    cg->g = g;
    cg->c = c;
    cg->prefix = prefix;
    cg->root = cg;
    cg->kprefix = prefix;
    char *u = arena_strdup(a, prefix);
    for (char *s = u; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
    cg->upper = u;
    cg->value_woff = ARENA_ARRAY(a, int64_t, g->n_values + 1);
    cg->own_off = ARENA_ARRAY(a, int64_t, g->n_values + 1);
    for (int i = 0; i <= g->n_values; i++)
        cg->value_woff[i] = cg->own_off[i] = -1;
    cg->ws = ARENA_ARRAY(a, const char *, g->n_nodes + 1);
    cg->skip = ARENA_ARRAY(a, unsigned char, g->n_nodes + 1);
    cg->in_stage = ARENA_ARRAY(a, int64_t, g->n_inputs + 1);
    cg->tg_stage = ARENA_ARRAY(a, int64_t, g->n_targets + 1);
    cg->str_off = -1;
    return cg;
}

static void codegen_free(Codegen *cg) {
    buf_free(&cg->strconsts);
    buf_free(&cg->blob);
    buf_free(&cg->kernels);
}

/* End of the planned arena: the plan's size, or the furthest planned value. */
static int64_t codegen_arena_end(const Graph *g) {
    const Plan *plan = g->plan;
    int64_t end = plan ? plan->arena_bytes : 0;
    for (int i = 0; i < g->n_values; i++) {
        const Value *v = g->values[i];
        if (v->offset >= 0 && v->offset + (int64_t)value_bytes(v) > end)
            end = v->offset + (int64_t)value_bytes(v);
    }
    for (int i = 0; plan && plan->scratch_off && i < plan->n_nodes; i++)
        if (plan->scratch_off[i] >= 0 && plan->scratch_off[i] + (int64_t)plan->scratch_bytes[i] > end)
            end = plan->scratch_off[i] + (int64_t)plan->scratch_bytes[i];
    return end;
}

static void codegen_stage_alloc(Codegen *cg, Value *const *vals, int n, int64_t *stage) {
    for (int i = 0; i < n; i++) {
        size_t size = dtype_size(vals[i]->dtype), bytes = value_bytes(vals[i]);
        stage[i] = size > 1 && bytes > 0 && (size & (size - 1)) == 0 ? codegen_own_alloc(cg, (int64_t)bytes) : -1;
    }
}

static bool codegen_prefix_ok(const char *p) {
    if (!p || !*p || (*p >= '0' && *p <= '9'))
        return false;
    for (; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

bool codegen_emit(Graph *g, Ctx *c, const char *prefix, Buf *c_out, Buf *h_out) {
    Loc none = {0};
    if (!codegen_prefix_ok(prefix))
        return diag_error(c, none, "symbol prefix '%s' is not a C identifier", prefix ? prefix : "");
    if (c->train && (g->in_slots || g->out_slots))
        return diag_error(c, none, "training builds do not take sequence or optional inputs or outputs");
    Codegen *cg = codegen_new(g, c, prefix);
    graph_count_uses(g);
    cg->own_end = align64(codegen_arena_end(g));
    codegen_stage_alloc(cg, g->inputs, g->n_inputs, cg->in_stage);
    codegen_stage_alloc(cg, g->targets, g->n_targets, cg->tg_stage);
    codegen_use_runtime(cg, "base");

    bool ok = true;
    for (int i = 0; i < g->n_nodes; i++)
        ok = codegen_emit_kernel(cg, i) && ok;
    for (int k = 0; ok && k < g->n_outputs; k++)
        ok = codegen_value_ptr(cg, g->outputs[k], true) != NULL;
    if (!ok || ctx_failed(c)) {
        codegen_free(cg);
        return false;
    }
    int64_t state_size = cg->own_end > 64 ? cg->own_end : 64;

    Buf api = {0}, decls = {0}, train = {0};
    codegen_emit_decls(cg, &decls, state_size);
    codegen_emit_api(cg, &api, state_size);
    if (c->train && !codegen_emit_train(cg, &decls, &train))
        ok = false;
    if (!ok || ctx_failed(c)) {
        buf_free(&api);
        buf_free(&decls);
        buf_free(&train);
        codegen_free(cg);
        return false;
    }

    /* net.h */
    buf_printf(h_out, "/* %s.h: generated by dlcc %s from '%s'; do not edit. */\n", prefix, DLCC_VERSION,
               codegen_comment_text(c->arena, g->name));
    buf_printf(h_out, "#ifndef %s_H_INCLUDED\n#define %s_H_INCLUDED\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
                      "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", cg->upper, cg->upper);
    buf_write(h_out, decls.data, decls.len);
    buf_printf(h_out, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_H_INCLUDED */\n", cg->upper);

    /* net.c */
    buf_printf(c_out,
               "/* %s.c: generated by dlcc %s from '%s'; do not edit.\n"
               " * Standalone: cc -std=c11 -O2 -c %s.c, link with -lm.  The API is in %s.h\n"
               " * (repeated below so that this file needs no header). */\n",
               prefix, DLCC_VERSION, codegen_comment_text(c->arena, g->name), prefix, prefix);
    buf_puts(c_out, "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n#include <tgmath.h>\n\n");
    buf_write(c_out, decls.data, decls.len);
    /* pieces are libraries: not every static function is used by every model */
    buf_puts(c_out, "\n#if defined(__GNUC__)\n#pragma GCC diagnostic push\n"
                    "#pragma GCC diagnostic ignored \"-Wunused-function\"\n#endif\n");
    for (int i = 0; i < cg->n_pieces; i++)
        buf_printf(c_out, "\n/* ---------------------------------------------------------------- runtime: %s */\n%s",
                   cg->pieces[i], runtime_piece(cg->pieces[i]));
    buf_puts(c_out, "\n#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n");
    if (cg->blob_used) {
        buf_printf(c_out, "\n/* ---------------------------------------------------------------- weights: %zu bytes,"
                          " little-endian */\n", cg->blob.len);
        codegen_write_blob(c_out, arena_printf(c->arena, "%s_weights", prefix), (const unsigned char *)cg->blob.data,
                           cg->blob.len, (size_t)align64((int64_t)cg->blob.len));
    }
    if (cg->strconsts.len) {
        buf_puts(c_out, "\n/* ---------------------------------------------------------------- string constants */\n");
        buf_write(c_out, cg->strconsts.data, cg->strconsts.len);
    }
    buf_puts(c_out, "\n/* ---------------------------------------------------------------- kernels */\n\n");
    if (cg->kernels.len)
        buf_write(c_out, cg->kernels.data, cg->kernels.len);
    buf_puts(c_out, "/* ---------------------------------------------------------------- API */\n\n");
    buf_write(c_out, api.data, api.len);
    if (train.len)
        buf_write(c_out, train.data, train.len);
    buf_free(&api);
    buf_free(&decls);
    buf_free(&train);
    codegen_free(cg);
    return true;
}

bool codegen_measure_scratch(Graph *g, Ctx *c, size_t *scratch) {
    Codegen *cg = codegen_new(g, c, "net");
    bool ok = true;
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        const OpInfo *info = node_info(n);
        scratch[i] = 0;
        bool folded = n->n_out > 0;
        for (int k = 0; k < n->n_out; k++)
            folded = folded && value_is_const(n->out[k]);
        if (folded)
            continue;
        Emit e = {.measure = true, .node = n, .graph = g, .ctx = c, .cg = cg, .prefix = "net", .indent = 1};
        int errors = c->n_errors;
        if (!info->emit || !info->emit(&e)) {
            if (c->n_errors == errors)
                node_error(c, n, "no code generator for this operator");
            ok = false;
            continue;
        }
        scratch[i] = e.scratch;
    }
    codegen_free(cg);
    return ok;
}

/* ---------------------------------------------------------------- subgraph bodies */

const char *codegen_emit_subgraph(Emit *e, Graph *body, int index, int64_t *bytes) {
    Codegen *pcg = e->cg;
    Ctx *c = e->ctx;
    int at = 0;
    while (at < pcg->g->n_nodes && pcg->g->nodes[at] != e->node)
        at++;
    const char *name = arena_printf(c->arena, "%s_k%d_b%d", pcg->kprefix, at, index);
    Codegen *cg = codegen_new(body, c, pcg->prefix);
    cg->root = pcg->root;
    cg->kprefix = name;
    cg->upper = pcg->upper;
    graph_count_uses(body);
    cg->own_end = align64(codegen_arena_end(body));
    for (int i = 0; i < body->n_inputs; i++)
        cg->in_stage[i] = -1;
    bool ok = true;
    for (int i = 0; i < body->n_nodes; i++)
        ok = codegen_emit_kernel(cg, i) && ok;
    for (int k = 0; ok && k < body->n_outputs; k++)
        ok = codegen_value_ptr(cg, body->outputs[k], true) != NULL;
    Buf fn = {0};
    if (ok && !ctx_failed(c)) {
        buf_printf(&fn, "/* subgraph '%s' of node %d: runs on the arena at state, reads input i at in[i],\n"
                        " * copies output k to out[k] */\n"
                        "static int %s(void *state, const void *const in[], void *const out[]) {\n"
                        "    int rc = 0;\n    (void)rc;\n    (void)state;\n    (void)in;\n    (void)out;\n",
                   codegen_comment_text(c->arena, body->name), at, name);
        ok = codegen_emit_calls(cg, &fn, NULL, 0);
        codegen_emit_copy_out(cg, &fn, "out", body->outputs, body->n_outputs);
        buf_puts(&fn, "    return 0;\n}\n\n");
        if (ok && !ctx_failed(c))
            buf_write(&cg->root->kernels, fn.data, fn.len);
    }
    *bytes = cg->own_end;
    buf_free(&fn);
    codegen_free(cg);
    return ok && !ctx_failed(c) ? name : NULL;
}

/* ---------------------------------------------------------------- string arena */

const char *emit_string_arena(Emit *e) {
    if (e->measure || !e->cg)
        return "ws";
    Codegen *root = e->cg->root;
    if (root->str_off < 0) {
        root->str_bytes = e->ctx->string_bytes > 0 ? e->ctx->string_bytes : 65536;
        root->str_off = codegen_own_alloc(root, 64 + root->str_bytes);
    }
    root->str_req = true;
    return "ws";
}
