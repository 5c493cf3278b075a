/*
 * dsl_expr.c: expressions and operator calls of the .dl parser.
 *
 * Precedence climbing over unary -, @ (MatMul), * / and + - turns operators
 * into nodes appended in program order (dsl_add_op); a call `op(args,
 * name=value ...)` is looked up in the op table (case-insensitive, `domain.op`
 * for other domains), its arity checked, pending literal arguments given the
 * dtype of the other inputs, and a node made whose outputs are temporaries
 * with a guessed dtype (guess_output).  Attribute values are numbers,
 * strings, names, lists, `tensor(TYPE, literal)` and `graph { ... }`
 * subgraphs (parsed with dsl_parse_stmts in a nested scope).  Every attribute
 * name and kind is checked against the op's schema (ir/op_attrs.def through
 * op_attr_check): an unknown name is an error at the name, with the closest
 * valid name suggested, a wrong kind an error at the value.  Loss helpers
 * (cross_entropy ...) are expanded by dsl_loss.c.
 */
#include "dsl_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- nodes */

Value *dsl_placeholder(Parser *p) {
    Value *v = graph_add_value(p->sc->g, dsl_fresh_name(p, "t"), VK_NODE, DT_UNDEF, -1, NULL);
    dsl_temp_register(p, v, DT_UNDEF);
    return v;
}

/* The dtype output k of n will have, as far as the parser can tell. */
static DType guess_output(Parser *p, const Node *n, int k) {
    const char *op = op_table[n->op].name;
    DType in0 = n->n_in > 0 ? dsl_guess(p, n->in[0]) : DT_UNDEF;
    static const char *const i64_ops[] = {"Shape", "Size", "ArgMax", "ArgMin", "NonZero", "NonMaxSuppression"};
    static const char *const bool_ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
                                           "And", "Or", "Xor", "IsNaN", "IsInf"};
    for (size_t i = 0; i < sizeof i64_ops / sizeof *i64_ops; i++)
        if (!strcmp(op, i64_ops[i]))
            return DT_I64;
    for (size_t i = 0; i < sizeof bool_ops / sizeof *bool_ops; i++)
        if (!strcmp(op, bool_ops[i]))
            return DT_BOOL;
    if (k > 0 && (!strcmp(op, "TopK") || !strcmp(op, "MaxPool") || !strcmp(op, "Unique")))
        return DT_I64;
    if (!strcmp(op, "Cast"))
        return (DType)attr_int(n, "to", DT_UNDEF);
    if (!strcmp(op, "CastLike"))
        return n->n_in > 1 ? dsl_guess(p, n->in[1]) : DT_UNDEF;
    if (!strcmp(op, "Where"))
        return n->n_in > 1 ? dsl_guess(p, n->in[1]) : DT_UNDEF;
    if (!strcmp(op, "DequantizeLinear"))
        return DT_F32;
    if (!strcmp(op, "QuantizeLinear"))
        return n->n_in > 2 && n->in[2] ? dsl_guess(p, n->in[2]) : DT_U8;
    if (!strcmp(op, "ConstantOfShape") || !strcmp(op, "Constant")) {
        const Attr *a = node_attr(n, "value");
        if (a && a->kind == AT_TENSOR && a->t)
            return a->t->dtype;
        if (node_attr(n, "value_int") || node_attr(n, "value_ints"))
            return DT_I64;
        return DT_F32;
    }
    if (node_attr(n, "dtype"))
        return (DType)attr_int(n, "dtype", DT_F32);
    if (!strncmp(op, "Random", 6) && n->n_in == 0)
        return DT_F32;
    return in0;
}

static Node *add_node(Parser *p, OpKind op, Loc loc, Value *const *in, int n_in, int n_out, Attr *attrs,
                      int n_attrs) {
    Graph *g = p->sc->g;
    Node *n = graph_add_node(g, op, in, n_in, n_out);
    n->loc = loc;
    n->domain = op_table[op].domain;
    n->opset = n->domain[0] ? 1 : g->opset;
    n->attrs = attrs;
    n->n_attrs = n_attrs;
    for (int i = 0; i < n_out; i++) {
        n->out[i]->loc = loc;
        dsl_temp_register(p, n->out[i], DT_UNDEF);
    }
    for (int i = 0; i < n_out; i++)
        dsl_sym_find(p->sc, n->out[i]->name)->guess = guess_output(p, n, i);
    return n;
}

Value *dsl_add_op(Parser *p, const char *name, Loc loc, Value *const *in, int n_in) {
    OpKind op = op_lookup("", name);
    p->last = NULL;
    if (op == OP_INVALID) {
        diag_error(p->c, loc, "operator %s is needed here but dlcc does not support it", name);
        return dsl_placeholder(p);
    }
    int n_out = op_table[op].min_out > 1 ? op_table[op].min_out : 1;
    p->last = add_node(p, op, loc, in, n_in, n_out, NULL, 0);
    return p->last->out[0];
}

Node *dsl_last_node(Parser *p) { return p->last; }
/* ---------------------------------------------------------------- expressions */


static Operand binary(Parser *p, const char *op, Operand l, Operand r, const Tok *t) {
    DType lw = l.lit ? dsl_guess(p, r.v) : DT_UNDEF, rw = r.lit ? dsl_guess(p, l.v) : DT_UNDEF;
    Value *in[2] = {dsl_operand_value(p, &l, lw), dsl_operand_value(p, &r, rw)};
    Operand o = {.v = dsl_add_op(p, op, dsl_loc(p, t), in, 2), .loc = dsl_loc(p, t)};
    return o;
}

static Operand parse_primary(Parser *p) {
    Tok *t = dsl_peek(p);
    Operand o = {.loc = dsl_loc(p, t)};
    if (dsl_accept(p, '(')) {
        o = dsl_parse_expr(p);
        dsl_expect(p, ')', "to close '('");
        return o;
    }
    if (dsl_is_punct(t, '[') || t->kind == TK_NUMBER || t->kind == TK_STRING) {
        o.lit = dsl_parse_literal(p);
        return o;
    }
    if (t->kind == TK_NAME && (dsl_is_punct(dsl_peek_at(p, 1), '(') || dsl_is_punct(dsl_peek_at(p, 1), '.')))
        return dsl_parse_call(p, 0, NULL);
    if (dsl_is_name(t)) {
        dsl_next(p);
        Sym *s = dsl_scope_lookup(p->sc, t->val);
        if (!s || !s->user) {
            diag_error(p->c, o.loc, "undefined name '%s'", t->val);
            o.v = dsl_placeholder(p);
            dsl_bind_temp(p, t->val, o.loc, o.v); /* report it once */
            return o;
        }
        o.v = s->v;
        return o;
    }
    dsl_fatal(p, t, "expected an expression, found %s", dsl_tok_desc(p, t));
}

/* unary := '-' unary | primary */
static Operand parse_unary(Parser *p) {
    Tok *t = dsl_peek(p);
    if (!dsl_accept(p, '-'))
        return parse_primary(p);
    Operand x = parse_unary(p);
    if (x.lit && !x.lit->is_str) {
        Lit *l = ARENA_NEW(p->c->arena, Lit);
        *l = *x.lit;
        l->f = ARENA_ARRAY(p->c->arena, double, l->n ? l->n : 1);
        l->i = ARENA_ARRAY(p->c->arena, int64_t, l->n ? l->n : 1);
        for (int64_t k = 0; k < l->n; k++) {
            l->f[k] = -x.lit->f[k];
            l->i[k] = -x.lit->i[k];
        }
        x.lit = l;
        x.loc = dsl_loc(p, t);
        return x;
    }
    Value *in = dsl_operand_value(p, &x, DT_UNDEF);
    Operand o = {.v = dsl_add_op(p, "Neg", dsl_loc(p, t), &in, 1), .loc = dsl_loc(p, t)};
    return o;
}

static Operand parse_matmul(Parser *p) {
    Operand l = parse_unary(p);
    while (dsl_is_punct(dsl_peek(p), '@')) {
        Tok *t = dsl_next(p);
        l = binary(p, "MatMul", l, parse_unary(p), t);
    }
    return l;
}

static Operand parse_mul(Parser *p) {
    Operand l = parse_matmul(p);
    while (dsl_is_punct(dsl_peek(p), '*') || dsl_is_punct(dsl_peek(p), '/')) {
        Tok *t = dsl_next(p);
        l = binary(p, t->punct == '*' ? "Mul" : "Div", l, parse_matmul(p), t);
    }
    return l;
}

Operand dsl_parse_expr(Parser *p) {
    Operand l = parse_mul(p);
    while (dsl_is_punct(dsl_peek(p), '+') || dsl_is_punct(dsl_peek(p), '-')) {
        Tok *t = dsl_next(p);
        l = binary(p, t->punct == '+' ? "Add" : "Sub", l, parse_mul(p), t);
    }
    return l;
}
/* ---------------------------------------------------------------- attribute values */


/* tensor '(' type ',' literal ')' : a constant Value outside the graph */
static Value *parse_tensor_value(Parser *p, const char *name) {
    dsl_next(p);
    dsl_expect(p, '(', "after 'tensor'");
    Type ty = dsl_parse_type(p);
    dsl_expect(p, ',', "after the tensor type");
    Tok *lt = dsl_peek(p);
    Lit *l = dsl_parse_literal(p);
    dsl_expect(p, ')', "to close tensor(...)");
    if (!dsl_type_concrete(&ty))
        dsl_fatal(p, lt, "a tensor attribute needs concrete dimensions");
    Value *v = ARENA_NEW(p->c->arena, Value);
    v->name = arena_strdup(p->c->arena, name);
    v->kind = VK_CONST;
    v->dtype = ty.dtype;
    v->rank = ty.rank;
    v->offset = -1;
    memcpy(v->dims, ty.dims, sizeof v->dims);
    v->loc = ty.loc;
    int64_t n = value_numel(v);
    size_t bytes = ty.dtype == DT_STRING ? sizeof(char *) * (size_t)n : value_bytes(v);
    void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
    dsl_lit_fill(p, l, ty.dtype, data, n, dsl_loc(p, lt));
    v->data = data;
    return v;
}

/* graph '{' stmt* '}' : a subgraph whose scope nests in the current one */
static Graph *parse_graph_value(Parser *p, const char *name) {
    dsl_next(p);
    dsl_expect(p, '{', "after 'graph'");
    Graph *sub = graph_new(p->c->arena, name);
    sub->parent = p->sc->g;
    sub->opset = p->g->opset;
    Scope *saved = p->sc;
    p->sc = dsl_scope_new(p->c->arena, sub, saved);
    dsl_parse_stmts(p, 2);
    p->sc = saved;
    dsl_expect(p, '}', "to close the graph");
    return sub;
}

static bool is_dtype_attr(const char *name) { return !strcmp(name, "to") || !strcmp(name, "dtype"); }

/* value := NUMBER | STRING | NAME | '[' value (',' value)* ']' | tensor(...) | graph {...} */
bool dsl_parse_attr_value(Parser *p, Attr *a, const char *attr_name) {
    Tok *t = dsl_peek(p);
    if (dsl_at_scalar(p)) {
        double f;
        int64_t i;
        bool is_int;
        dsl_parse_scalar(p, &f, &i, &is_int);
        a->kind = is_int ? AT_INT : AT_FLOAT;
        a->i = i;
        a->f = f;
    } else if (t->kind == TK_STRING) {
        dsl_next(p);
        a->kind = AT_STRING;
        a->s = t->val;
        a->s_len = t->val_len;
    } else if (dsl_is_kw(t, "tensor") && dsl_is_punct(dsl_peek_at(p, 1), '(')) {
        a->kind = AT_TENSOR;
        a->t = parse_tensor_value(p, attr_name);
    } else if (dsl_is_kw(t, "graph") && dsl_is_punct(dsl_peek_at(p, 1), '{')) {
        a->kind = AT_GRAPH;
        a->g = parse_graph_value(p, attr_name);
    } else if (t->kind == TK_NAME && is_dtype_attr(attr_name) && dtype_from_name(t->val) != DT_UNDEF) {
        dsl_next(p);
        a->kind = AT_INT;
        a->i = dtype_from_name(t->val);
        a->f = (double)a->i;
    } else if (dsl_is_name(t)) {
        dsl_next(p);
        a->kind = AT_STRING;
        a->s = t->val;
        a->s_len = t->val_len;
    } else if (dsl_accept(p, '[')) {
        Attr *el = NULL;
        int n = 0, cap = 0;
        AttrKind kind = AT_UNDEF;
        if (!dsl_is_punct(dsl_peek(p), ']')) {
            do {
                if (n == cap) {
                    cap = cap ? cap * 2 : 8;
                    Attr *ne = ARENA_ARRAY(p->c->arena, Attr, cap);
                    if (n)
                        memcpy(ne, el, sizeof(Attr) * (size_t)n);
                    el = ne;
                }
                Tok *et = dsl_peek(p);
                if (dsl_is_punct(et, '['))
                    dsl_fatal(p, et, "attribute lists do not nest");
                dsl_parse_attr_value(p, &el[n], attr_name);
                AttrKind k = el[n].kind;
                n++;
                if (kind == AT_UNDEF || kind == k)
                    kind = k;
                else if ((kind == AT_INT && k == AT_FLOAT) || (kind == AT_FLOAT && k == AT_INT))
                    kind = AT_FLOAT;
                else
                    dsl_fatal(p, et, "an attribute list mixes kinds of values");
            } while (dsl_accept(p, ','));
        }
        dsl_expect(p, ']', "to close the list");
        a->n = n;
        switch (kind) {
        case AT_UNDEF:
        case AT_INT:
            a->kind = AT_INTS;
            a->ints = ARENA_ARRAY(p->c->arena, int64_t, n ? n : 1);
            for (int k = 0; k < n; k++)
                a->ints[k] = el[k].i;
            break;
        case AT_FLOAT:
            a->kind = AT_FLOATS;
            a->floats = ARENA_ARRAY(p->c->arena, double, n ? n : 1);
            for (int k = 0; k < n; k++)
                a->floats[k] = el[k].kind == AT_INT ? (double)el[k].i : el[k].f;
            break;
        case AT_STRING:
            a->kind = AT_STRINGS;
            a->strings = ARENA_ARRAY(p->c->arena, const char *, n);
            for (int k = 0; k < n; k++)
                a->strings[k] = el[k].s;
            break;
        case AT_TENSOR:
            a->kind = AT_TENSORS;
            a->ts = ARENA_ARRAY(p->c->arena, Value *, n);
            for (int k = 0; k < n; k++)
                a->ts[k] = el[k].t;
            break;
        case AT_GRAPH:
            a->kind = AT_GRAPHS;
            a->gs = ARENA_ARRAY(p->c->arena, Graph *, n);
            for (int k = 0; k < n; k++)
                a->gs[k] = el[k].g;
            break;
        default:
            dsl_fatal(p, t, "unsupported attribute list");
        }
    } else {
        dsl_fatal(p, t, "expected an attribute value, found %s", dsl_tok_desc(p, t));
    }
    return true;
}
/* ---------------------------------------------------------------- calls */

/* Ops whose inputs share one dtype, so a literal argument takes the others'. */
static bool op_adapts_literals(OpKind op) {
    static const char *const names[] = {"Clip", "Max", "Min", "Sum", "Mean", "Where", "Pow", "PRelu", "Mod"};
    if (op_table[op].flags & OPF_ELEMWISE)
        return true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(op_table[op].name, names[i]))
            return true;
    return false;
}

/* Checks every attribute against the op's schema (ir/op_attrs.def): an
 * unknown name is reported at the name, a wrong kind at the value. */
static void check_attrs(Parser *p, OpKind op, const Attr *attrs, Tok *const *toks, int n_attrs) {
    for (int k = 0; k < n_attrs; k++) {
        const Attr *a = &attrs[k];
        const char *msg = op_attr_check(p->c->arena, op, a->name, AT_UNDEF);
        if (msg) {
            diag_error(p->c, dsl_loc(p, toks[2 * k]), "%s", msg);
            continue;
        }
        bool empty_list = a->kind == AT_INTS && a->n == 0; /* `[]` fits any list kind */
        msg = empty_list ? NULL : op_attr_check(p->c->arena, op, a->name, a->kind);
        if (msg)
            diag_error(p->c, dsl_loc(p, toks[2 * k + 1]), "%s", msg);
    }
}

/* call := OP '(' (expr (',' expr)*)? (',' NAME '=' value)* ')'
 * n_targets: names bound to the outputs (0 in an expression). */
Operand dsl_parse_call(Parser *p, int n_targets, Node **node_out) {
    Tok *first = dsl_next(p);
    Loc loc = dsl_loc(p, first);
    Buf full = {0};
    buf_puts(&full, first->val);
    const char *opname = first->val;
    while (dsl_accept(p, '.')) {
        Tok *t = dsl_peek(p);
        if (t->kind != TK_NAME)
            dsl_fatal(p, t, "expected an operator name after '.', found %s", dsl_tok_desc(p, t));
        dsl_next(p);
        buf_printf(&full, ".%s", t->val);
        opname = t->val;
    }
    size_t dom_len = full.len - strlen(opname);
    const char *domain = dom_len ? arena_strndup(p->c->arena, full.data, dom_len - 1) : "";
    const char *fullname = arena_strdup(p->c->arena, full.data);
    buf_free(&full);
    dsl_expect(p, '(', "after the operator name");

    Operand *args = NULL;
    Attr *attrs = NULL;
    Tok **attr_toks = NULL; /* name and value token of each attribute */
    int n_args = 0, cap_args = 0, n_attrs = 0, cap_attrs = 0;
    if (!dsl_is_punct(dsl_peek(p), ')')) {
        do {
            Tok *t = dsl_peek(p);
            if (t->kind == TK_NAME && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
                dsl_next(p);
                dsl_next(p);
                for (int k = 0; k < n_attrs; k++)
                    if (!strcmp(attrs[k].name, t->val))
                        diag_error(p->c, dsl_loc(p, t), "attribute '%s' is given twice", t->val);
                if (n_attrs == cap_attrs) {
                    cap_attrs = cap_attrs ? cap_attrs * 2 : 4;
                    Attr *na = ARENA_ARRAY(p->c->arena, Attr, cap_attrs);
                    Tok **nt = ARENA_ARRAY(p->c->arena, Tok *, 2 * cap_attrs);
                    if (n_attrs) {
                        memcpy(na, attrs, sizeof(Attr) * (size_t)n_attrs);
                        memcpy(nt, attr_toks, sizeof(Tok *) * 2 * (size_t)n_attrs);
                    }
                    attrs = na;
                    attr_toks = nt;
                }
                attr_toks[2 * n_attrs] = t;
                attr_toks[2 * n_attrs + 1] = dsl_peek(p);
                Attr *a = &attrs[n_attrs++];
                a->name = t->val;
                dsl_parse_attr_value(p, a, t->val);
                continue;
            }
            if (n_attrs)
                dsl_fatal(p, t, "positional argument after keyword arguments");
            if (n_args == cap_args) {
                cap_args = cap_args ? cap_args * 2 : 4;
                Operand *na = ARENA_ARRAY(p->c->arena, Operand, cap_args);
                if (n_args)
                    memcpy(na, args, sizeof(Operand) * (size_t)n_args);
                args = na;
            }
            if (dsl_is_kw(t, "_") && (dsl_is_punct(dsl_peek_at(p, 1), ',') || dsl_is_punct(dsl_peek_at(p, 1), ')'))) {
                dsl_next(p);
                args[n_args] = (Operand){.loc = dsl_loc(p, t)};
            } else {
                args[n_args] = dsl_parse_expr(p);
            }
            n_args++;
        } while (dsl_accept(p, ','));
    }
    dsl_expect(p, ')', "to close the argument list");

    Operand res = {.loc = loc};
    if (!domain[0] && dsl_is_helper(opname)) {
        if (n_attrs)
            diag_error(p->c, loc, "%s takes no keyword arguments", opname);
        for (int k = 0; k < n_args; k++)
            if (!args[k].v && !args[k].lit) {
                diag_error(p->c, args[k].loc, "%s: '_' is only for optional operator inputs", opname);
                return (Operand){.v = dsl_placeholder(p), .loc = loc};
            }
        if (n_targets > 1)
            diag_error(p->c, loc, "%s has one output, not %d", opname, n_targets);
        return dsl_helper(p, opname, loc, args, n_args);
    }
    OpKind op = op_lookup(domain, opname);
    if (op == OP_INVALID) {
        diag_error(p->c, loc, "unknown operator '%s'", fullname);
        res.v = dsl_placeholder(p);
        return res;
    }
    check_attrs(p, op, attrs, attr_toks, n_attrs);
    const OpInfo *info = &op_table[op];
    if (n_args < info->min_in || n_args > info->max_in) {
        if (info->min_in == info->max_in)
            diag_error(p->c, loc, "%s takes %d input%s, not %d", info->name, info->min_in,
                       info->min_in == 1 ? "" : "s", n_args);
        else
            diag_error(p->c, loc, "%s takes %d to %d inputs, not %d", info->name, info->min_in, info->max_in, n_args);
        res.v = dsl_placeholder(p);
        return res;
    }
    int n_out = info->min_out > 1 ? info->min_out : 1;
    if (n_targets > info->max_out) {
        diag_error(p->c, loc, "%s has at most %d output%s, not %d", info->name, info->max_out,
                   info->max_out == 1 ? "" : "s", n_targets);
        res.v = dsl_placeholder(p);
        return res;
    }
    if (n_targets > n_out)
        n_out = n_targets;
    DType want = DT_UNDEF;
    if (op_adapts_literals(op))
        for (int k = 0; k < n_args && want == DT_UNDEF; k++)
            if (args[k].v && !args[k].lit) {
                DType g = dsl_guess(p, args[k].v);
                if (g != DT_BOOL)
                    want = g;
            }
    Value **in = ARENA_ARRAY(p->c->arena, Value *, n_args ? n_args : 1);
    for (int k = 0; k < n_args; k++)
        in[k] = dsl_operand_value(p, &args[k], want);
    Node *n = add_node(p, op, loc, in, n_args, n_out, attrs, n_attrs);
    if (node_out)
        *node_out = n;
    res.v = n->out[0];
    return res;
}
