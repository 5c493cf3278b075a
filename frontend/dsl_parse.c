/*
 * dsl_parse.c: the .dl parser's statements (grammar in shared/DSL.md).
 *
 * A recursive-descent parser over the token array of dsl_lex.c builds the
 * Graph directly: declarations become values, every operator (written as a
 * call or as + - * / @ and unary -, dsl_expr.c) becomes a node appended in
 * program order, so the graph is topologically sorted by construction.  This
 * file holds the token cursor, types, and the statements: `input`, `param`
 * and `const` declarations (initializers in dsl_init.c), bindings of one or
 * several targets, `output`, `opset`, and the train block's `loss`,
 * `optimizer` and `clip_grad_norm`; then models, train blocks and the entry
 * points dsl_parse and dsl_load.  Each graph (the model, and every
 * `graph { ... }` subgraph attribute) has a Scope (dsl_scope.c).
 *
 * Syntax errors are fatal (dsl_fatal longjmps to dsl_parse_internal);
 * semantic errors (undefined or redefined names, unknown operators or
 * attributes, wrong arity, bad initializers) are recorded and parsing goes
 * on, so one run reports many.
 *
 * Extensions of DSL.md, all produced by the IR printer (tests/golden/README.md):
 * backquoted names, `opset N`, `graph { ... }` and `tensor(TYPE, literal)`
 * attribute values, `?` dims, a NUMBER or `[]` as literal, inf/nan/true/false
 * in literals, `_` as a binding target, and any model statement inside a
 * train block; and the state statements of a printed joint training graph
 * (`update w = w_next`, `state m = m_next`, `step train_step_count`), from
 * which train_state_resolve rebuilds the TrainInfo so that the pipeline does
 * not differentiate the graph a second time.
 */
#include "dsl_internal.h"
#include "../passes/passes.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- errors, tokens */

Loc dsl_loc(Parser *p, const Tok *t) {
    Loc l = {.file = p->path, .line = t->line, .col = t->col};
    return l;
}

const char *dsl_tok_desc(Parser *p, const Tok *t) {
    if (t->kind == TK_EOF)
        return "end of file";
    return arena_printf(p->c->arena, "'%.*s'", t->len > 40 ? 40 : t->len, t->text);
}

_Noreturn void dsl_fatal(Parser *p, const Tok *t, const char *fmt, ...) {
    Buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    diag_error(p->c, dsl_loc(p, t), "%s", b.data);
    buf_free(&b);
    longjmp(p->fail, 1);
}

Tok *dsl_expect(Parser *p, char ch, const char *context) {
    Tok *t = dsl_peek(p);
    if (!dsl_is_punct(t, ch))
        dsl_fatal(p, t, "expected '%c' %s, found %s", ch, context, dsl_tok_desc(p, t));
    return dsl_next(p);
}
Tok *dsl_expect_name(Parser *p, const char *context) {
    Tok *t = dsl_peek(p);
    if (!dsl_is_name(t))
        dsl_fatal(p, t, "expected a name %s, found %s", context, dsl_tok_desc(p, t));
    return dsl_next(p);
}

/* ---------------------------------------------------------------- types */

/* type := DTYPE '[' (dim (',' dim)*)? ']';  dim := INTEGER | NAME | '?' */
Type dsl_parse_type(Parser *p) {
    Type ty = {0};
    Tok *t = dsl_peek(p);
    ty.loc = dsl_loc(p, t);
    if (t->kind != TK_NAME || (ty.dtype = dtype_from_name(t->val)) == DT_UNDEF)
        dsl_fatal(p, t, "expected a type (f32, i64, ...), found %s", dsl_tok_desc(p, t));
    dsl_next(p);
    dsl_expect(p, '[', "after the element type (f32[] is a scalar)");
    if (!dsl_is_punct(dsl_peek(p), ']')) {
        do {
            Tok *d = dsl_next(p);
            if (ty.rank == DLCC_MAX_RANK)
                dsl_fatal(p, d, "more than %d dimensions", DLCC_MAX_RANK);
            if (d->kind == TK_NUMBER && d->is_int) {
                ty.dims[ty.rank] = strtoll(d->val, NULL, 10);
            } else if (dsl_is_name(d)) {
                ty.dims[ty.rank] = -1;
                ty.sym[ty.rank] = d->val;
            } else if (dsl_is_punct(d, '?')) {
                ty.dims[ty.rank] = -1;
            } else {
                dsl_fatal(p, d, "expected a dimension (an integer or a name), found %s", dsl_tok_desc(p, d));
            }
            ty.rank++;
        } while (dsl_accept(p, ','));
    }
    dsl_expect(p, ']', "to close the shape");
    return ty;
}

static Value *value_of_type(Parser *p, const char *name, ValueKind kind, const Type *ty) {
    Value *v = graph_add_value(p->sc->g, name, kind, ty->dtype, ty->rank, ty->dims);
    for (int i = 0; i < ty->rank; i++)
        v->sym[i] = ty->sym[i];
    return v;
}

bool dsl_type_concrete(const Type *ty) {
    for (int i = 0; i < ty->rank; i++)
        if (ty->dims[i] < 0)
            return false;
    return true;
}

static void annot_add(Parser *p, const char *name, const Type *ty) {
    if (p->sc->g != p->g)
        return; /* subgraph annotations are not checked */
    if (p->n_annots == p->cap_annots) {
        int cap = p->cap_annots ? p->cap_annots * 2 : 32;
        Annot *a = ARENA_ARRAY(p->c->arena, Annot, cap);
        if (p->n_annots)
            memcpy(a, p->annots, sizeof(Annot) * (size_t)p->n_annots);
        p->annots = a;
        p->cap_annots = cap;
    }
    Annot *a = &p->annots[p->n_annots++];
    a->name = name;
    a->dtype = ty->dtype;
    a->rank = ty->rank;
    memcpy(a->dims, ty->dims, sizeof a->dims);
    memcpy(a->sym, ty->sym, sizeof a->sym);
    a->loc = ty->loc;
}
/* ---------------------------------------------------------------- statements */

/* Binds `name` to the result of an expression (renaming a fresh value, else
 * through an Identity node). */
static Value *bind_operand(Parser *p, const char *name, Loc loc, Operand o, DType want) {
    Value *v = dsl_operand_value(p, &o, want);
    Sym *s = dsl_sym_find(p->sc, v->name);
    if (!s || s->v != v || s->user) {
        Value *in = v;
        v = dsl_add_op(p, "Identity", loc, &in, 1);
    }
    dsl_bind_temp(p, name, loc, v);
    return v;
}

typedef struct Target {
    const char *name; /* NULL for '_' */
    Loc loc;
    bool typed;
    Type type;
} Target;

/* targets '=' expr */
static void parse_binding(Parser *p, Value **out) {
    Target tg[64];
    int k = 0;
    do {
        Tok *t = dsl_peek(p);
        if (k == 64)
            dsl_fatal(p, t, "too many binding targets");
        if (!dsl_is_name(t))
            dsl_fatal(p, t, "expected a statement, found %s", dsl_tok_desc(p, t));
        dsl_next(p);
        tg[k].name = dsl_is_kw(t, "_") ? NULL : t->val;
        tg[k].loc = dsl_loc(p, t);
        tg[k].typed = dsl_accept(p, ':');
        if (tg[k].typed)
            tg[k].type = dsl_parse_type(p);
        k++;
    } while (dsl_accept(p, ','));
    Tok *eq = dsl_peek(p);
    if (!dsl_is_punct(eq, '='))
        dsl_fatal(p, eq, "expected '=' after %s, found %s", k > 1 ? "the names" : "the name", dsl_tok_desc(p, eq));
    dsl_next(p);
    for (int i = 0; i < k; i++)
        if (tg[i].name && tg[i].typed)
            annot_add(p, tg[i].name, &tg[i].type);
    if (k == 1) {
        Operand o = dsl_parse_expr(p);
        Value *v = tg[0].name ? bind_operand(p, tg[0].name, tg[0].loc, o, tg[0].typed ? tg[0].type.dtype : DT_UNDEF)
                              : dsl_operand_value(p, &o, DT_UNDEF);
        if (out)
            *out = v;
        return;
    }
    Tok *t = dsl_peek(p);
    if (t->kind != TK_NAME || !(dsl_is_punct(dsl_peek_at(p, 1), '(') || dsl_is_punct(dsl_peek_at(p, 1), '.')))
        dsl_fatal(p, t, "several names need an operator call with several outputs");
    Node *n = NULL;
    dsl_parse_call(p, k, &n);
    if (!n)
        return;
    for (int i = 0; i < k; i++)
        if (tg[i].name)
            dsl_bind_temp(p, tg[i].name, tg[i].loc, n->out[i]);
}

static void shortest_double(char *out, size_t size, double x) {
    if (isnan(x) || isinf(x)) {
        snprintf(out, size, "%s", isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
    if (!strpbrk(out, ".e"))
        strncat(out, ".0", size - strlen(out) - 1);
}

/* Canonical text of an optimizer call: `adam(lr=0.001, betas=[0.9, 0.999])`. */
static const char *parse_optimizer(Parser *p) {
    static const char *const names[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                                        "adamw"};
    Tok *t = dsl_peek(p);
    if (t->kind != TK_NAME)
        dsl_fatal(p, t, "expected an optimizer (sgd, adam, ...), found %s", dsl_tok_desc(p, t));
    dsl_next(p);
    bool known = false;
    Buf b = {0};
    for (const char *s = t->val; *s; s++)
        buf_printf(&b, "%c", (*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        known |= !strcmp(b.data, names[i]);
    if (!known)
        diag_error(p->c, dsl_loc(p, t),
                   "unknown optimizer '%s' (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw)", t->val);
    buf_puts(&b, "(");
    if (dsl_accept(p, '(')) {
        int k = 0;
        if (!dsl_is_punct(dsl_peek(p), ')')) {
            do {
                Tok *a = dsl_peek(p);
                const char *key = "lr";
                if (a->kind == TK_NAME && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
                    dsl_next(p);
                    dsl_next(p);
                    key = a->val;
                } else if (k > 0) {
                    dsl_fatal(p, a, "optimizer arguments after the first are written NAME=VALUE");
                }
                Attr v = {0};
                dsl_parse_attr_value(p, &v, key);
                buf_printf(&b, "%s%s=", k ? ", " : "", key);
                if (v.kind == AT_INT) {
                    buf_printf(&b, "%lld", (long long)v.i);
                } else if (v.kind == AT_FLOAT) {
                    char tmp[48];
                    shortest_double(tmp, sizeof tmp, v.f);
                    buf_puts(&b, tmp);
                } else if (v.kind == AT_STRING) {
                    buf_puts(&b, v.s);
                } else if (v.kind == AT_INTS || v.kind == AT_FLOATS) {
                    buf_puts(&b, "[");
                    for (int i = 0; i < v.n; i++) {
                        if (v.kind == AT_INTS)
                            buf_printf(&b, "%s%lld", i ? ", " : "", (long long)v.ints[i]);
                        else
                        {
                            char tmp[48];
                            shortest_double(tmp, sizeof tmp, v.floats[i]);
                            buf_printf(&b, "%s%s", i ? ", " : "", tmp);
                        }
                    }
                    buf_puts(&b, "]");
                } else {
                    dsl_fatal(p, a, "unsupported optimizer argument");
                }
                k++;
            } while (dsl_accept(p, ','));
        }
        dsl_expect(p, ')', "to close the optimizer call");
    }
    buf_puts(&b, ")");
    const char *s = arena_strdup(p->c->arena, b.data);
    buf_free(&b);
    return s;
}

/* ('update' | 'state' | 'step') NAME ('=' NAME)?, the keyword consumed. */
static void parse_state_slot(Parser *p, const Tok *kw) {
    if (p->n_slots == p->cap_slots) {
        int cap = p->cap_slots ? p->cap_slots * 2 : 32;
        StateSlot *s = ARENA_ARRAY(p->c->arena, StateSlot, cap);
        if (p->n_slots)
            memcpy(s, p->slots, sizeof(StateSlot) * (size_t)p->n_slots);
        p->slots = s;
        p->cap_slots = cap;
    }
    StateSlot *s = &p->slots[p->n_slots++];
    memset(s, 0, sizeof *s);
    s->kind = dsl_is_kw(kw, "update") ? 'u' : dsl_is_kw(kw, "step") ? 'k' : 's';
    Tok *nt = dsl_expect_name(p, arena_printf(p->c->arena, "after '%s'", kw->val));
    s->name = nt->val;
    s->loc = dsl_loc(p, nt);
    if (dsl_accept(p, '=')) {
        Tok *xt = dsl_expect_name(p, "of the output holding the new value");
        s->next = xt->val;
        s->next_loc = dsl_loc(p, xt);
    }
}

/* The state statements of a printed joint training graph become its
 * TrainInfo (passes/passes.h): state slots in statement order, the
 * `update` ones (first) the trainable params; every other param is frozen.
 * Graph outputs: the model's, the loss, then the new state values. */
static void train_state_resolve(Parser *p) {
    Graph *g = p->g;
    Ctx *c = p->c;
    if (!p->n_slots || !g)
        return;
    int errors = c->n_errors;
    TrainInfo *ti = ARENA_NEW(g->arena, TrainInfo);
    ti->state = ARENA_ARRAY(g->arena, Value *, p->n_slots);
    ti->next_out = ARENA_ARRAY(g->arena, int, p->n_slots);
    ti->cap_state = p->n_slots;
    Value **next = ARENA_ARRAY(c->arena, Value *, p->n_slots);
    int n_next = 0;
    bool other = false;
    for (int i = 0; i < p->n_slots; i++) {
        const StateSlot *s = &p->slots[i];
        Sym *sym = dsl_sym_find(p->sc, s->name);
        if (!sym || !sym->user || sym->v->kind != VK_PARAM) {
            diag_error(c, s->loc, "'%s' is not a parameter of the model (state statements name params)", s->name);
            continue;
        }
        Value *v = sym->v;
        bool dup = false;
        for (int j = 0; j < ti->n_state; j++)
            dup |= ti->state[j] == v;
        if (dup) {
            diag_error(c, s->loc, "'%s' is named by two state statements", s->name);
            continue;
        }
        if (s->kind == 'u') {
            if (other)
                diag_error(c, s->loc, "'update' statements (trainable params) come before 'state' and 'step'");
            if (!dtype_is_float(v->dtype))
                diag_error(c, s->loc, "the trainable param '%s' must have a float type", s->name);
            ti->n_trainable++;
        } else {
            other = true;
        }
        if (s->kind == 'k') {
            if (ti->step)
                diag_error(c, s->loc, "a second 'step' statement (the step counter is '%s')", ti->step->name);
            else if (v->dtype != DT_I64 || v->rank != 0)
                diag_error(c, s->loc, "the step counter '%s' must be an i64[] param", s->name);
            ti->step = v;
        }
        if (s->next) {
            Sym *ns = dsl_sym_find(p->sc, s->next);
            if (!ns || !ns->user)
                diag_error(c, s->next_loc, "undefined name '%s'", s->next);
            else
                next[n_next++] = ns->v;
        }
        ti->state[ti->n_state] = v;
        ti->next_out[ti->n_state] = -1;
        ti->n_state++;
    }
    if (!ti->step)
        diag_error(c, p->slots[0].loc, "a train block with state statements needs a 'step' statement");
    if (!g->loss)
        diag_error(c, p->slots[0].loc, "a train block with state statements needs 'loss = NAME'");
    if (c->n_errors > errors)
        return;
    ti->n_user_outputs = g->n_outputs - 1 - n_next;
    if (ti->n_user_outputs < 0 || g->outputs[ti->n_user_outputs] != g->loss)
        diag_error(c, p->loss_loc, "the loss must be the graph output just before the new state values");
    for (int i = 0, k = 0; i < p->n_slots && c->n_errors == errors; i++) {
        if (!p->slots[i].next)
            continue;
        Value *v = next[k++];
        for (int o = ti->n_user_outputs + 1; o < g->n_outputs; o++)
            if (g->outputs[o] == v)
                ti->next_out[i] = o;
        for (int j = 0; j < i; j++)
            if (ti->next_out[j] == ti->next_out[i] && ti->next_out[i] >= 0)
                diag_error(c, p->slots[i].next_loc, "'%s' is the new value of two state slots", p->slots[i].next);
        if (ti->next_out[i] < 0)
            diag_error(c, p->slots[i].next_loc, "'%s' is not a graph output after the loss", p->slots[i].next);
    }
    if (c->n_errors > errors)
        return;
    for (int i = 0; i < g->n_params; i++) {
        g->params[i]->frozen = true;
        for (int j = 0; j < ti->n_trainable; j++)
            if (ti->state[j] == g->params[i])
                g->params[i]->frozen = false;
    }
    g->train = ti;
}

/* ---------------------------------------------------------------- API slots */

static bool slot_kind_from_name(const char *s, IoKind *k) {
    for (int i = IO_SEQUENCE; i <= IO_OPTIONAL_SEQUENCE; i++)
        if (!strcmp(s, io_kind_name((IoKind)i))) {
            *k = (IoKind)i;
            return true;
        }
    return false;
}

/* After 'input NAME =' or 'output NAME =' at the top level of a model:
 *   KIND DTYPE '(' (NAME (',' NAME)*)? ')'  |  KIND DTYPE 'none'
 * KIND: sequence, optional, optional_sequence.  The names are the slot's
 * items: inputs declared before (input slots) or values (output slots,
 * which become graph outputs).  'none' is an optional compiled as empty. */
static void parse_slot(Parser *p, const char *name, bool output) {
    Graph *g = p->sc->g;
    Tok *kt = dsl_expect_name(p, "(sequence, optional or optional_sequence)");
    IoSlot slot = {.name = name, .present = true};
    if (!slot_kind_from_name(kt->val, &slot.kind))
        dsl_fatal(p, kt, "expected sequence, optional or optional_sequence, found %s", dsl_tok_desc(p, kt));
    Tok *dt = dsl_next(p);
    if (dt->kind != TK_NAME || (slot.dtype = dtype_from_name(dt->val)) == DT_UNDEF)
        dsl_fatal(p, dt, "expected an element type (f32, i64, ...), found %s", dsl_tok_desc(p, dt));
    Value *items[64];
    if (dsl_is_kw(dsl_peek(p), "none") && slot.kind != IO_SEQUENCE) {
        dsl_next(p);
        slot.present = false;
    } else {
        dsl_expect(p, '(', "before the items");
        while (!dsl_is_punct(dsl_peek(p), ')')) {
            if (slot.n)
                dsl_expect(p, ',', "between items");
            Tok *it = dsl_expect_name(p, "(an item)");
            Sym *sym = dsl_scope_lookup(p->sc, it->val);
            if (!sym || !sym->v) {
                diag_error(p->c, dsl_loc(p, it), "undefined name '%s'", it->val);
                continue;
            }
            if (!output && sym->v->kind != VK_INPUT)
                diag_error(p->c, dsl_loc(p, it), "item '%s' is not an input", it->val);
            if (slot.n == 64)
                dsl_fatal(p, it, "more than 64 items");
            items[slot.n++] = sym->v;
        }
        dsl_expect(p, ')', "after the items");
        if (slot.kind == IO_OPTIONAL && slot.n != 1)
            diag_error(p->c, dsl_loc(p, kt), "an optional tensor has one item, or is 'none'");
    }
    slot.items = items;
    IoSlot **list = output ? &g->out_slots : &g->in_slots;
    int *n = output ? &g->n_out_slots : &g->n_in_slots;
    /* the items' own tensor slots give way to the group */
    for (int j = 0; j < slot.n; j++)
        for (int k = 0; k < *n; k++)
            if ((*list)[k].kind == IO_TENSOR && (*list)[k].items[0] == items[j]) {
                memmove(&(*list)[k], &(*list)[k + 1], sizeof(IoSlot) * (size_t)(*n - k - 1));
                (*n)--;
                break;
            }
    for (int j = 0; output && j < slot.n; j++)
        graph_add_output(g, items[j]);
    graph_add_slot(g, output, &slot);
}

static bool at_slot(Parser *p) {
    IoKind k;
    return dsl_is_punct(dsl_peek(p), '=') && dsl_peek_at(p, 1)->kind == TK_NAME &&
           slot_kind_from_name(dsl_peek_at(p, 1)->val, &k) && dsl_peek_at(p, 2)->kind == TK_NAME &&
           dtype_from_name(dsl_peek_at(p, 2)->val) != DT_UNDEF;
}

static bool stmt_end(Parser *p) { return dsl_is_punct(dsl_peek(p), '}') || dsl_peek(p)->kind == TK_EOF; }

/* stmt*, up to the closing '}' (not consumed). */
void dsl_parse_stmts(Parser *p, int mode) {
    Graph *g = p->sc->g;
    while (!stmt_end(p)) {
        if (dsl_accept(p, ';'))
            continue;
        Tok *t = dsl_peek(p);
        Loc loc = dsl_loc(p, t);
        if (dsl_is_kw(t, "input") || dsl_is_kw(t, "param") || dsl_is_kw(t, "const")) {
            dsl_next(p);
            Tok *nt = dsl_expect_name(p, arena_printf(p->c->arena, "after '%s'", t->val));
            if (mode == MODE_MODEL && dsl_is_kw(t, "input") && at_slot(p)) {
                dsl_next(p);
                parse_slot(p, nt->val, false);
                continue;
            }
            dsl_expect(p, ':', "and a type after the name");
            Type ty = dsl_parse_type(p);
            bool ok = dsl_declare_check(p, nt->val, dsl_loc(p, nt));
            ValueKind kind = dsl_is_kw(t, "input") ? (mode == MODE_TRAIN ? VK_TARGET : VK_INPUT)
                             : dsl_is_kw(t, "param") ? VK_PARAM
                                                 : VK_CONST;
            if (kind == VK_PARAM && mode == MODE_GRAPH)
                diag_error(p->c, loc, "a subgraph cannot declare parameters");
            Value *v = value_of_type(p, nt->val, kind, &ty);
            v->loc = dsl_loc(p, nt);
            if (kind == VK_PARAM || kind == VK_CONST) {
                dsl_expect(p, '=', "and an initializer after the type");
                dsl_parse_init(p, v, &ty);
            }
            if (ok)
                dsl_scope_put(p->c->arena, p->sc, v, true, ty.dtype);
            else {
                v->name = dsl_fresh_name(p, "t");
                dsl_scope_put(p->c->arena, p->sc, v, false, ty.dtype);
            }
            if (mode == MODE_MODEL && kind == VK_INPUT)
                graph_add_slot(g, false, &(IoSlot){.name = v->name, .kind = IO_TENSOR, .present = true,
                                                   .dtype = v->dtype, .n = 1, .items = &v});
            continue;
        }
        if (dsl_is_kw(t, "output")) {
            dsl_next(p);
            Tok *nt = dsl_expect_name(p, "after 'output'");
            Loc nloc = dsl_loc(p, nt);
            if (mode == MODE_MODEL && at_slot(p)) {
                dsl_next(p);
                parse_slot(p, nt->val, true);
                continue;
            }
            Type ty;
            bool typed = dsl_accept(p, ':');
            if (typed)
                ty = dsl_parse_type(p);
            Value *v = NULL;
            if (typed)
                annot_add(p, nt->val, &ty);
            if (dsl_accept(p, '=')) {
                v = bind_operand(p, nt->val, nloc, dsl_parse_expr(p), typed ? ty.dtype : DT_UNDEF);
            } else {
                Sym *s = dsl_scope_lookup(p->sc, nt->val);
                if (!s || !s->user)
                    diag_error(p->c, nloc, "undefined name '%s'", nt->val);
                else
                    v = s->v;
            }
            if (v)
                graph_add_output(g, v);
            if (v && mode == MODE_MODEL)
                graph_add_slot(g, true, &(IoSlot){.name = v->name, .kind = IO_TENSOR, .present = true,
                                                  .dtype = v->dtype, .n = 1, .items = &v});
            continue;
        }
        if (dsl_is_kw(t, "opset") && mode != MODE_TRAIN && dsl_peek_at(p, 1)->kind == TK_NUMBER) {
            dsl_next(p);
            g->opset = (int)strtol(dsl_next(p)->val, NULL, 10);
            continue;
        }
        if (mode == MODE_TRAIN && (dsl_is_kw(t, "update") || dsl_is_kw(t, "state") || dsl_is_kw(t, "step")) &&
            dsl_is_name(dsl_peek_at(p, 1))) {
            dsl_next(p);
            parse_state_slot(p, t);
            continue;
        }
        if (mode == MODE_TRAIN && dsl_is_kw(t, "loss") && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
            dsl_next(p);
            dsl_next(p);
            p->loss_loc = dsl_loc(p, dsl_peek(p));
            Operand o = dsl_parse_expr(p);
            g->loss = dsl_operand_value(p, &o, DT_F32);
            continue;
        }
        if (mode == MODE_TRAIN && dsl_is_kw(t, "optimizer") && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
            dsl_next(p);
            dsl_next(p);
            g->optimizer = parse_optimizer(p);
            continue;
        }
        if (mode == MODE_TRAIN && dsl_is_kw(t, "clip_grad_norm") && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
            dsl_next(p);
            dsl_next(p);
            Tok *vt = dsl_peek(p);
            g->clip_grad_norm = dsl_parse_number(p);
            if (!(g->clip_grad_norm >= 0))
                diag_error(p->c, dsl_loc(p, vt), "clip_grad_norm must be positive");
            continue;
        }
        if (dsl_is_kw(t, "model") || dsl_is_kw(t, "train"))
            dsl_fatal(p, t, "expected '}' before '%s'", t->val);
        parse_binding(p, NULL);
    }
}

/* file := (model | train)* */
static void parse_file(Parser *p) {
    while (dsl_peek(p)->kind != TK_EOF) {
        Tok *t = dsl_next(p);
        if (dsl_is_kw(t, "model")) {
            Tok *nt = dsl_expect_name(p, "after 'model'");
            if (p->g)
                dsl_fatal(p, t, "a file holds one model ('%s' is already defined)", p->g->name);
            p->g = graph_new(p->c->arena, nt->val);
            p->sc = dsl_scope_new(p->c->arena, p->g, NULL);
            dsl_expect(p, '{', "after the model name");
            dsl_parse_stmts(p, MODE_MODEL);
            dsl_expect(p, '}', "to close the model");
            graph_finish_slots(p->g);
        } else if (dsl_is_kw(t, "train")) {
            Tok *nt = dsl_expect_name(p, "after 'train'");
            if (!p->g || strcmp(p->g->name, nt->val))
                dsl_fatal(p, nt, "train block for '%s', but no model of that name precedes it", nt->val);
            dsl_expect(p, '{', "after the model name");
            p->c->train = true;
            dsl_parse_stmts(p, MODE_TRAIN);
            dsl_expect(p, '}', "to close the train block");
        } else {
            dsl_fatal(p, t, "expected 'model' or 'train', found %s", dsl_tok_desc(p, t));
        }
    }
    if (!p->g) {
        Loc loc = {.file = p->path, .line = 1, .col = 1};
        diag_error(p->c, loc, "no model in the file");
    }
    train_state_resolve(p);
}

Graph *dsl_parse_internal(Ctx *c, const char *path, const char *text, Parser *p) {
    memset(p, 0, sizeof *p);
    int errors = c->n_errors;
    p->c = c;
    p->path = arena_strdup(c->arena, path ? path : "<input>");
    c->source_file = p->path;
    c->source_text = arena_strdup(c->arena, text);
    if (!dsl_lex(c, p->path, c->source_text, &p->t, &p->n))
        return NULL;
    if (setjmp(p->fail))
        return NULL;
    parse_file(p);
    return c->n_errors > errors ? NULL : p->g;
}

Graph *dsl_parse(Ctx *c, const char *path, const char *text) {
    Parser p;
    Graph *g = dsl_parse_internal(c, path, text, &p);
    if (!g || !init_materialize(g, c, NULL))
        return NULL;
    return g;
}

Graph *dsl_load(Ctx *c, const char *path) {
    FILE *f = fopen(path, "rb");
    Loc loc = {.file = path};
    if (!f) {
        diag_error(c, loc, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_write(&b, chunk, n);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        buf_free(&b);
        diag_error(c, loc, "cannot read '%s'", path);
        return NULL;
    }
    if (b.len && memchr(b.data, 0, b.len)) {
        buf_free(&b);
        diag_error(c, loc, "'%s' is not a text file", path);
        return NULL;
    }
    Graph *g = dsl_parse(c, path, b.data ? b.data : "");
    buf_free(&b);
    return g;
}
