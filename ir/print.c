/*
 * print.c: the IR as .dl text (--emit=ir, --print-after).
 *
 * The output is valid .dl (shared/DSL.md plus the extensions listed in
 * tests/golden/README.md) that parses back to the same graph:
 *
 *   model NAME {
 *     opset 13                          only when not the default
 *     input x: f32[N, 784]              graph inputs, in API order
 *     param w: f32[784, 128] = he_normal(seed=1)     initializer, or data
 *     const c0: f32[] = 2               constants that are used
 *     t3: f32[1, 128] = MatMul(x, w)    one line per node, every type known
 *     output y
 *   }
 *   train NAME { input label: i64[N]   nodes that depend on targets
 *                loss = t9  optimizer = adam(lr=0.001)  clip_grad_norm = 1.0 }
 *
 * A joint training graph (after pass_autodiff, Graph.train set) also prints
 * its TrainInfo at the end of the train block, one line per state slot in
 * state order: `update w = w_next` (a trainable param and the output with
 * its new value), `state m = m_next` (a moment or running statistic),
 * `step train_step_count` (the step counter); the parser rebuilds the
 * TrainInfo from them and the pipeline does not differentiate again.
 *
 * Names that are not identifiers, or are statement keywords, are written
 * in backquotes (`input.1`), so ONNX names survive exactly.  Numbers are
 * written with the fewest digits that read back to the same value (float
 * precision for f32, f16 and bf16, double for f64 and attributes).
 * Constants with more than inline_limit elements go to
 * weights_dir/NAME.bin as file("...") when weights_dir is given.
 */
#include "ir.h"
#include "../passes/passes.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct PtrSet {
    const void **slots;
    size_t cap, n;
} PtrSet;

typedef struct Printer {
    Ctx *c;
    FILE *f;
    const char *weights_dir;
    int64_t inline_limit;
    PtrSet used;    /* values read by some node, output or loss */
    PtrSet train;   /* nodes printed in the train block */
    bool ok;
} Printer;

/* ---------------------------------------------------------------- pointer sets */

static size_t ptr_hash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static bool set_has(const PtrSet *s, const void *p) {
    if (!s->cap || !p)
        return false;
    for (size_t i = ptr_hash(p, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slots[i])
            return false;
        if (s->slots[i] == p)
            return true;
    }
}

static void set_add(Arena *a, PtrSet *s, const void *p) {
    if (!p || set_has(s, p))
        return;
    if (2 * (s->n + 1) > s->cap) {
        PtrSet ns = {.cap = s->cap ? s->cap * 2 : 64};
        ns.slots = ARENA_ARRAY(a, const void *, ns.cap);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                set_add(a, &ns, s->slots[i]);
        *s = ns;
    }
    for (size_t i = ptr_hash(p, s->cap);; i = (i + 1) & (s->cap - 1))
        if (!s->slots[i]) {
            s->slots[i] = p;
            s->n++;
            return;
        }
}

/* ---------------------------------------------------------------- names, numbers */

static bool name_is_plain(const char *s) {
    static const char *const keywords[] = {"model", "train", "input", "param", "const", "output",
                                           "opset", "loss", "optimizer", "clip_grad_norm", "_"};
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_'))
            return false;
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (!strcmp(s, keywords[i]))
            return false;
    return true;
}

static void put_quoted(FILE *f, const char *s, size_t len, char quote) {
    fputc(quote, f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == (unsigned char)quote || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\t')
            fputs("\\t", f);
        else if (ch < 32 || ch == 127)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc(quote, f);
}

static void put_name(FILE *f, const char *s) {
    if (name_is_plain(s))
        fputs(s, f);
    else
        put_quoted(f, s ? s : "", s ? strlen(s) : 0, '`');
}

static void fmt_double(char *out, size_t size, double x, bool single, bool force_point) {
    if (isnan(x) || isinf(x)) {
        snprintf(out, size, "%s", isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, x);
        double back = strtod(out, NULL);
        if (single ? (float)back == (float)x : back == x)
            break;
    }
    if (force_point && !strpbrk(out, ".e"))
        strncat(out, ".0", size - strlen(out) - 1);
}

static void put_double(FILE *f, double x, bool single, bool force_point) {
    char buf[48];
    fmt_double(buf, sizeof buf, x, single, force_point);
    fputs(buf, f);
}

static void put_type(FILE *f, const Value *v) {
    fprintf(f, "%s[", dtype_name(v->dtype));
    for (int i = 0; i < v->rank; i++) {
        if (i)
            fputs(", ", f);
        if (v->sym[i])
            put_name(f, v->sym[i]);
        else if (v->dims[i] < 0)
            fputc('?', f);
        else
            fprintf(f, "%lld", (long long)v->dims[i]);
    }
    fputc(']', f);
}

static bool type_known(const Value *v) { return v->rank >= 0 && v->dtype != DT_UNDEF; }

/* ---------------------------------------------------------------- literals */

static void put_element(FILE *f, DType dt, const void *data, int64_t i) {
    switch (dt) {
    case DT_F32: put_double(f, ((const float *)data)[i], true, false); break;
    case DT_F16: put_double(f, half_to_float(((const uint16_t *)data)[i]), true, false); break;
    case DT_BF16: put_double(f, bf16_to_float(((const uint16_t *)data)[i]), true, false); break;
    case DT_F64: put_double(f, ((const double *)data)[i], false, false); break;
    case DT_U64: fprintf(f, "%llu", (unsigned long long)((const uint64_t *)data)[i]); break;
    case DT_I4: fprintf(f, "%d", ((const int8_t *)data)[i]); break;
    case DT_U4: fprintf(f, "%u", ((const uint8_t *)data)[i]); break;
    case DT_STRING: {
        const char *s = ((const char *const *)data)[i];
        put_quoted(f, s ? s : "", s ? strlen(s) : 0, '"');
        break;
    }
    default:
        if (dtype_is_int(dt) || dt == DT_BOOL)
            fprintf(f, "%lld", (long long)data_get_i64(dt, data, i));
        else
            put_double(f, data_get_f64(dt, data, i), true, false);
        break;
    }
}

static void put_literal_rec(FILE *f, const Value *v, int depth, int64_t *index) {
    if (depth == v->rank) {
        put_element(f, v->dtype, v->data, (*index)++);
        return;
    }
    fputc('[', f);
    for (int64_t k = 0; k < v->dims[depth]; k++) {
        if (k)
            fputs(", ", f);
        put_literal_rec(f, v, depth + 1, index);
    }
    fputc(']', f);
}

static void put_literal(FILE *f, const Value *v) {
    int64_t index = 0;
    put_literal_rec(f, v, 0, &index);
}

/* ---------------------------------------------------------------- initializers */

static void put_init(Printer *p, const Value *v) {
    const Init *in = &v->init;
    FILE *f = p->f;
    static const char *const names[] = {
        [INIT_ZEROS] = "zeros",           [INIT_ONES] = "ones",
        [INIT_UNIFORM] = "uniform",       [INIT_NORMAL] = "normal",
        [INIT_XAVIER_UNIFORM] = "xavier_uniform", [INIT_XAVIER_NORMAL] = "xavier_normal",
        [INIT_HE_UNIFORM] = "he_uniform", [INIT_HE_NORMAL] = "he_normal",
        [INIT_ORTHOGONAL] = "orthogonal", [INIT_FILE] = "file",
    };
    fputs(names[in->kind], f);
    switch (in->kind) {
    case INIT_ZEROS:
    case INIT_ONES:
    case INIT_DATA:
        break;
    case INIT_FILE:
        fputc('(', f);
        put_quoted(f, in->path ? in->path : "", in->path ? strlen(in->path) : 0, '"');
        fputc(')', f);
        break;
    case INIT_UNIFORM:
    case INIT_NORMAL:
        fputc('(', f);
        put_double(f, in->a, false, false);
        fputs(", ", f);
        put_double(f, in->b, false, false);
        fprintf(f, ", seed=%llu)", (unsigned long long)in->seed);
        break;
    default:
        fprintf(f, "(seed=%llu", (unsigned long long)in->seed);
        if (in->a != 0 && in->a != 1 &&
            (in->kind == INIT_XAVIER_UNIFORM || in->kind == INIT_XAVIER_NORMAL || in->kind == INIT_ORTHOGONAL)) {
            fputs(", gain=", f);
            put_double(f, in->a, false, false);
        }
        fputc(')', f);
        break;
    }
}

/* Writes v's data to weights_dir and returns the path to print, or NULL. */
static const char *write_weights(Printer *p, const Value *v) {
    Arena *a = p->c->arena;
    const char *dir = p->weights_dir;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        Loc loc = {0};
        diag_error(p->c, loc, "cannot create weights folder '%s': %s", dir, strerror(errno));
        return NULL;
    }
    char *stem = arena_strdup(a, v->name);
    bool changed = false;
    for (char *q = stem; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
              *q == '-' || (*q == '.' && q != stem))) {
            *q = '_';
            changed = true;
        }
    const char *file = changed || !*stem ? arena_printf(a, "%s_%d.bin", stem, v->id) : arena_printf(a, "%s.bin", stem);
    const char *full = arena_printf(a, "%s/%s", dir, file);
    FILE *f = fopen(full, "wb");
    size_t bytes = value_bytes(v);
    bool ok = f && (bytes == 0 || fwrite(v->data, 1, bytes, f) == bytes);
    if (f)
        ok = fclose(f) == 0 && ok;
    if (!ok) {
        Loc loc = {0};
        diag_error(p->c, loc, "cannot write weight file '%s'", full);
        return NULL;
    }
    if (dir[0] == '/')
        return full;
    /* relative to the folder of the printed .dl, which holds weights_dir */
    const char *slash = strrchr(dir, '/');
    while (slash && slash[1] == 0 && slash > dir) { /* trailing slash */
        const char *q = slash - 1;
        while (q > dir && *q != '/')
            q--;
        slash = *q == '/' ? q : NULL;
    }
    const char *base = slash ? slash + 1 : dir;
    size_t n = strcspn(base, "/");
    return arena_printf(a, "%.*s/%s", (int)n, base, file);
}

static void put_value_init(Printer *p, const Value *v) {
    FILE *f = p->f;
    if (v->init.kind != INIT_DATA) {
        put_init(p, v);
        return;
    }
    if (!v->data || v->rank < 0) {
        fputs("zeros", f); /* no data (should not happen): keep the text parseable */
        return;
    }
    if (p->weights_dir && value_numel(v) > p->inline_limit && v->dtype != DT_STRING) {
        const char *path = write_weights(p, v);
        if (!path) {
            p->ok = false;
            fputs("zeros", f);
            return;
        }
        fputs("file(", f);
        put_quoted(f, path, strlen(path), '"');
        fputc(')', f);
        return;
    }
    put_literal(f, v);
}

/* ---------------------------------------------------------------- nodes */

static void put_graph(Printer *p, Graph *g, int indent, bool top);

static void put_attr_scalar(Printer *p, const Attr *a, AttrKind kind, int k, int indent) {
    FILE *f = p->f;
    switch (kind) {
    case AT_FLOAT:
        put_double(f, k < 0 ? a->f : a->floats[k], false, true);
        break;
    case AT_INT: {
        int64_t x = k < 0 ? a->i : a->ints[k];
        if (k < 0 && (!strcmp(a->name, "to") || !strcmp(a->name, "dtype")) && x > 0 && x < DT_COUNT &&
            strcmp(dtype_name((DType)x), "?"))
            fputs(dtype_name((DType)x), f);
        else
            fprintf(f, "%lld", (long long)x);
        break;
    }
    case AT_STRING:
        if (k < 0)
            put_quoted(f, a->s ? a->s : "", a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0, '"');
        else
            put_quoted(f, a->strings[k] ? a->strings[k] : "", a->strings[k] ? strlen(a->strings[k]) : 0, '"');
        break;
    case AT_TENSOR: {
        const Value *t = k < 0 ? a->t : a->ts[k];
        fputs("tensor(", f);
        put_type(f, t);
        fputs(", ", f);
        if (t->data)
            put_literal(f, t);
        else
            fputs("[]", f);
        fputc(')', f);
        break;
    }
    case AT_GRAPH: {
        Graph *sg = k < 0 ? a->g : a->gs[k];
        fputs("graph {\n", f);
        put_graph(p, sg, indent + 2, false);
        fprintf(f, "%*s}", indent, "");
        break;
    }
    default:
        break;
    }
}

static void put_attr(Printer *p, const Attr *a, int indent) {
    FILE *f = p->f;
    fprintf(f, "%s=", a->name);
    AttrKind elem;
    switch (a->kind) {
    case AT_FLOATS: elem = AT_FLOAT; break;
    case AT_INTS: elem = AT_INT; break;
    case AT_STRINGS: elem = AT_STRING; break;
    case AT_TENSORS: elem = AT_TENSOR; break;
    case AT_GRAPHS: elem = AT_GRAPH; break;
    default:
        put_attr_scalar(p, a, a->kind, -1, indent);
        return;
    }
    fputc('[', f);
    for (int k = 0; k < a->n; k++) {
        if (k)
            fputs(", ", f);
        put_attr_scalar(p, a, elem, k, indent);
    }
    fputc(']', f);
}

static void put_node(Printer *p, const Node *n, int indent) {
    FILE *f = p->f;
    const OpInfo *info = node_info(n);
    fprintf(f, "%*s", indent, "");
    for (int i = 0; i < n->n_out; i++) {
        if (i)
            fputs(", ", f);
        put_name(f, n->out[i]->name);
        if (type_known(n->out[i])) {
            fputs(": ", f);
            put_type(f, n->out[i]);
        }
    }
    fputs(" = ", f);
    if (info->domain && info->domain[0])
        fprintf(f, "%s.", info->domain);
    fprintf(f, "%s(", info->name);
    int k = 0;
    for (int i = 0; i < n->n_in; i++, k++) {
        if (k)
            fputs(", ", f);
        if (n->in[i])
            put_name(f, n->in[i]->name);
        else
            fputc('_', f);
    }
    for (int i = 0; i < n->n_attrs; i++) {
        if (n->attrs[i].kind == AT_UNDEF)
            continue;
        if (k++)
            fputs(", ", f);
        put_attr(p, &n->attrs[i], indent);
    }
    fputs(")\n", f);
}

/* ---------------------------------------------------------------- graphs */

static void collect_uses(Printer *p, Graph *g) {
    Arena *a = p->c->arena;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = g->nodes[i];
        for (int j = 0; j < n->n_in; j++)
            set_add(a, &p->used, n->in[j]);
        for (int j = 0; j < n->n_attrs; j++) {
            const Attr *at = &n->attrs[j];
            if (at->kind == AT_GRAPH && at->g)
                collect_uses(p, at->g);
            for (int k = 0; at->kind == AT_GRAPHS && k < at->n; k++)
                collect_uses(p, at->gs[k]);
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        set_add(a, &p->used, g->outputs[i]);
    set_add(a, &p->used, g->loss);
}

static void put_decl(Printer *p, const char *kw, const Value *v, int indent) {
    FILE *f = p->f;
    fprintf(f, "%*s%s ", indent, "", kw);
    put_name(f, v->name);
    fputs(": ", f);
    put_type(f, v);
    if (v->kind == VK_PARAM || v->kind == VK_CONST) {
        fputs(" = ", f);
        put_value_init(p, v);
    }
    fputc('\n', f);
}

/* A sequence or optional API slot: `input x = sequence f32 (a, b)`. */
static void put_slot(Printer *p, const char *kw, const IoSlot *s, int indent) {
    fprintf(p->f, "%*s%s ", indent, "", kw);
    put_name(p->f, s->name);
    fprintf(p->f, " = %s %s ", io_kind_name(s->kind), dtype_name(s->dtype));
    if (!s->present) {
        fputs("none\n", p->f);
        return;
    }
    fputc('(', p->f);
    for (int j = 0; j < s->n; j++) {
        if (j)
            fputs(", ", p->f);
        put_name(p->f, s->items[j]->name);
    }
    fputs(")\n", p->f);
}

static void put_outputs(Printer *p, const Graph *g, int indent) {
    for (int i = 0; g->out_slots && i < g->n_out_slots; i++) {
        if (g->out_slots[i].kind != IO_TENSOR) {
            put_slot(p, "output", &g->out_slots[i], indent);
            continue;
        }
        fprintf(p->f, "%*soutput ", indent, "");
        put_name(p->f, g->out_slots[i].items[0]->name);
        fputc('\n', p->f);
    }
    for (int i = 0; !g->out_slots && i < g->n_outputs; i++) {
        fprintf(p->f, "%*soutput ", indent, "");
        put_name(p->f, g->outputs[i]->name);
        fputc('\n', p->f);
    }
}

/* The statements of a graph body (without braces). */
static void put_graph(Printer *p, Graph *g, int indent, bool top) {
    if (top && g->opset && g->opset != 17)
        fprintf(p->f, "%*sopset %d\n", indent, "", g->opset);
    for (int i = 0; g->in_slots && i < g->n_in_slots; i++) {
        for (int j = 0; j < g->in_slots[i].n; j++)
            put_decl(p, "input", g->in_slots[i].items[j], indent);
        if (g->in_slots[i].kind != IO_TENSOR)
            put_slot(p, "input", &g->in_slots[i], indent);
    }
    for (int i = 0; !g->in_slots && i < g->n_inputs; i++)
        put_decl(p, "input", g->inputs[i], indent);
    for (int i = 0; i < g->n_params; i++)
        put_decl(p, "param", g->params[i], indent);
    for (int i = 0; i < g->n_values; i++) {
        const Value *v = g->values[i];
        if (v->kind == VK_CONST && set_has(&p->used, v))
            put_decl(p, "const", v, indent);
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->op != OP_INVALID && !set_has(&p->train, g->nodes[i]))
            put_node(p, g->nodes[i], indent);
    bool outputs_in_train = false;
    for (int i = 0; top && i < g->n_outputs; i++)
        if (g->outputs[i]->kind == VK_TARGET || (g->outputs[i]->def && set_has(&p->train, g->outputs[i]->def)))
            outputs_in_train = true;
    if (!outputs_in_train)
        put_outputs(p, g, indent);
}

/* The TrainInfo of a joint training graph: one line per state slot. */
static void put_train_state(Printer *p, const Graph *g) {
    const TrainInfo *ti = (const TrainInfo *)g->train;
    if (!ti)
        return;
    for (int i = 0; i < ti->n_state; i++) {
        const Value *v = ti->state[i];
        if (!v)
            continue;
        const char *kw = i < ti->n_trainable ? "update" : v == ti->step ? "step" : "state";
        fprintf(p->f, "  %s ", kw);
        put_name(p->f, v->name);
        int k = ti->next_out[i];
        if (k >= 0 && k < g->n_outputs) {
            fputs(" = ", p->f);
            put_name(p->f, g->outputs[k]->name);
        }
        fputc('\n', p->f);
    }
}

bool ir_print(Graph *g, Ctx *c, FILE *f, const char *weights_dir, int64_t inline_limit) {
    Printer p = {.c = c, .f = f, .weights_dir = weights_dir, .inline_limit = inline_limit, .ok = true};
    collect_uses(&p, g);
    /* nodes that depend on a target go to the train block */
    PtrSet dep = {0};
    for (int i = 0; i < g->n_targets; i++)
        set_add(c->arena, &dep, g->targets[i]);
    for (int i = 0; g->n_targets && i < g->n_nodes; i++) {
        const Node *n = g->nodes[i];
        bool d = false;
        for (int j = 0; j < n->n_in && !d; j++)
            d = set_has(&dep, n->in[j]);
        if (d) {
            set_add(c->arena, &p.train, n);
            for (int j = 0; j < n->n_out; j++)
                set_add(c->arena, &dep, n->out[j]);
        }
    }
    fputs("model ", f);
    put_name(f, g->name);
    fputs(" {\n", f);
    put_graph(&p, g, 2, true);
    fputs("}\n", f);
    if (g->n_targets || g->loss || g->optimizer || g->clip_grad_norm != 0) {
        fputs("\ntrain ", f);
        put_name(f, g->name);
        fputs(" {\n", f);
        for (int i = 0; i < g->n_targets; i++)
            put_decl(&p, "input", g->targets[i], 2);
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i]->op != OP_INVALID && set_has(&p.train, g->nodes[i]))
                put_node(&p, g->nodes[i], 2);
        bool outputs_in_train = false;
        for (int i = 0; i < g->n_outputs; i++)
            if (set_has(&dep, g->outputs[i]))
                outputs_in_train = true;
        if (outputs_in_train)
            put_outputs(&p, g, 2);
        if (g->loss) {
            fputs("  loss = ", f);
            put_name(f, g->loss->name);
            fputc('\n', f);
        }
        if (g->optimizer)
            fprintf(f, "  optimizer = %s\n", g->optimizer);
        if (g->clip_grad_norm != 0) {
            fputs("  clip_grad_norm = ", f);
            put_double(f, g->clip_grad_norm, false, true);
            fputc('\n', f);
        }
        put_train_state(&p, g);
        fputs("}\n", f);
    }
    if (ferror(f)) {
        Loc loc = {0};
        return diag_error(c, loc, "cannot write the IR text");
    }
    return p.ok;
}
