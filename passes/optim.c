/*
 * optim.c: what a training build adds around the backward: the loss of an
 * ONNX `--loss KIND` build with its `target` input, global-norm gradient
 * clipping, and the optimizer update.
 *
 * The optimizer comes from `--optimizer NAME[:k=v,...]` (Ctx.optimizer) or
 * the .dl `optimizer = NAME(k=v, ...)` (Graph.optimizer); the command line
 * wins.  Hyperparameters default as in torch.optim.  Each trainable param
 * gets one dlcc.<Name>Update node (ir/ops_grad.def) whose inputs are the
 * param, its gradient, the step counter and its moments, and whose outputs
 * are the new param and moments; the outputs become graph outputs and the
 * TrainInfo records which state slot each one overwrites.  Moments are
 * frozen VK_PARAM values initialised to zeros (Init) that live in the state.
 */
#include "passes.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A builder context for nodes that have no forward node: located at loc. */
typedef struct Builder {
    GradCtx gc;
    Node where;
} Builder;

static void builder_init(Builder *b, Graph *g, Ctx *c, Loc loc) {
    memset(b, 0, sizeof *b);
    b->where.loc = loc;
    b->gc.g = g;
    b->gc.c = c;
    b->gc.node = &b->where;
}

/* ---------------------------------------------------------------- state */

Value *train_add_state(Graph *g, TrainInfo *ti, const char *name, DType dt, int rank, const int64_t *dims) {
    if (ti->n_state == ti->cap_state) {
        int cap = ti->cap_state ? ti->cap_state * 2 : 16;
        Value **s = ARENA_ARRAY(g->arena, Value *, cap);
        int *o = ARENA_ARRAY(g->arena, int, cap);
        if (ti->n_state) {
            memcpy(s, ti->state, sizeof(Value *) * (size_t)ti->n_state);
            memcpy(o, ti->next_out, sizeof(int) * (size_t)ti->n_state);
        }
        ti->state = s;
        ti->next_out = o;
        ti->cap_state = cap;
    }
    Value *v = NULL;
    if (name) {
        const char *nm = graph_find_value(g, name) ? graph_unique_name(g, arena_printf(g->arena, "%s_", name)) : name;
        /* A frozen param: not trainable, but in the state (codegen puts every
         * param of a training build there, PREFIX_init zeroes it or copies
         * its data). */
        v = graph_add_value(g, nm, VK_PARAM, dt, rank, dims);
        v->init.kind = INIT_ZEROS;
        v->frozen = true;
    }
    ti->state[ti->n_state] = v;
    ti->next_out[ti->n_state] = -1;
    ti->n_state++;
    return v;
}

void train_set_next(Graph *g, TrainInfo *ti, Value *slot, Value *next) {
    for (int i = 0; i < ti->n_state; i++)
        if (ti->state[i] == slot) {
            ti->next_out[i] = g->n_outputs;
            graph_add_output(g, next);
            return;
        }
    DLCC_ASSERT(!"train_set_next: not a state value");
}

/* ---------------------------------------------------------------- losses */

static bool loss_is_class(const char *kind) { return !strcmp(kind, "cross_entropy") || !strcmp(kind, "nll"); }

static bool loss_known(const char *kind) {
    static const char *kinds[] = {"cross_entropy", "nll", "mse", "mae", "bce", "bce_with_logits"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kind, kinds[i]))
            return true;
    return false;
}

Value *train_add_target(Graph *g, Ctx *c, const char *kind, Value *pred) {
    if (!loss_known(kind)) {
        diag_error(c, pred->loc, "unknown loss '%s' (cross_entropy, mse, mae, bce, bce_with_logits, nll)", kind);
        return NULL;
    }
    if (pred->rank < 0) {
        diag_error(c, pred->loc, "the shape of output '%s' is unknown", pred->name);
        return NULL;
    }
    const char *name = graph_find_value(g, "target") ? graph_unique_name(g, "target_") : "target";
    if (loss_is_class(kind)) {
        if (pred->rank < 2) {
            diag_error(c, pred->loc, "loss %s needs scores of shape [N, C, ...], not %s", kind,
                       value_type_str(g->arena, pred));
            return NULL;
        }
        int64_t dims[DLCC_MAX_RANK];
        int r = 0;
        for (int i = 0; i < pred->rank; i++)
            if (i != 1)
                dims[r++] = pred->dims[i];
        return graph_add_value(g, name, VK_TARGET, DT_I64, r, dims);
    }
    return graph_add_value(g, name, VK_TARGET, pred->dtype, pred->rank, pred->dims);
}

static Value *reduce_mean_all(GradCtx *gc, Value *x) {
    Node *n = grad_node(gc, OP_REDUCEMEAN, &x, 1, 1);
    node_set_attr_int(gc->g, n, "keepdims", 0);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

Value *train_build_loss(Graph *g, Ctx *c, const char *kind, Value *pred, Value *target, Loc loc) {
    Builder b;
    builder_init(&b, g, c, loc);
    GradCtx *gc = &b.gc;
    DType dt = pred->dtype;
    if (!strcmp(kind, "cross_entropy") || !strcmp(kind, "nll")) {
        OpKind op = op_lookup("", !strcmp(kind, "nll") ? "NegativeLogLikelihoodLoss" : "SoftmaxCrossEntropyLoss");
        if (op == OP_INVALID) {
            /* -mean(GatherElements(LogSoftmax(pred, axis=1), Unsqueeze(target, 1), axis=1)) */
            Value *lp = pred;
            if (strcmp(kind, "nll")) {
                Node *ls = grad_node(gc, OP_LOGSOFTMAX, &pred, 1, 1);
                ls->opset = 13;
                node_set_attr_int(g, ls, "axis", 1);
                lp = grad_infer(gc, ls) ? ls->out[0] : NULL;
            }
            int64_t one = 1;
            Value *uin[2] = {target, graph_const_i64s(g, &one, 1)};
            Node *un = grad_node(gc, OP_UNSQUEEZE, uin, 2, 1);
            un->opset = 13;
            if (!lp || !grad_infer(gc, un))
                return NULL;
            Value *gin[2] = {lp, un->out[0]};
            Node *ge = grad_node(gc, OP_GATHERELEMENTS, gin, 2, 1);
            node_set_attr_int(g, ge, "axis", 1);
            if (!grad_infer(gc, ge))
                return NULL;
            return grad_op(gc, OP_NEG, reduce_mean_all(gc, ge->out[0]), NULL);
        }
        Value *in[2] = {pred, target};
        Node *n = grad_node(gc, op, in, 2, 1);
        n->opset = g->opset < 13 ? 13 : g->opset;
        node_set_attr_string(g, n, "reduction", "mean");
        return grad_infer(gc, n) ? n->out[0] : NULL;
    }
    Value *d = grad_op(gc, OP_SUB, pred, target);
    if (!strcmp(kind, "mse"))
        return reduce_mean_all(gc, grad_op(gc, OP_MUL, d, d));
    if (!strcmp(kind, "mae"))
        return reduce_mean_all(gc, grad_op(gc, OP_ABS, d, NULL));
    Value *one = grad_const(gc, dt, 1.0);
    if (!strcmp(kind, "bce")) {
        /* -(y log p + (1 - y) log(1 - p)), each log clamped at -100 like torch */
        Value *lo = grad_const(gc, dt, -100.0);
        Value *lp = grad_op(gc, OP_MAX, grad_op(gc, OP_LOG, pred, NULL), lo);
        Value *lq = grad_op(gc, OP_MAX, grad_op(gc, OP_LOG, grad_op(gc, OP_SUB, one, pred), NULL), lo);
        Value *s = grad_op(gc, OP_ADD, grad_op(gc, OP_MUL, target, lp),
                           grad_op(gc, OP_MUL, grad_op(gc, OP_SUB, one, target), lq));
        return reduce_mean_all(gc, grad_op(gc, OP_NEG, s, NULL));
    }
    if (!strcmp(kind, "bce_with_logits")) {
        /* relu(z) - z y + log(1 + exp(-|z|)) */
        Value *sp = grad_op(gc, OP_SOFTPLUS, grad_op(gc, OP_NEG, grad_op(gc, OP_ABS, pred, NULL), NULL), NULL);
        Value *l = grad_op(gc, OP_ADD, grad_op(gc, OP_SUB, grad_op(gc, OP_RELU, pred, NULL), grad_op(gc, OP_MUL, pred, target)),
                           sp);
        return reduce_mean_all(gc, l);
    }
    diag_error(c, loc, "unknown loss '%s'", kind);
    return NULL;
}

/* ---------------------------------------------------------------- optimizer spec */

typedef enum OptKind { OPT_SGD, OPT_ADAGRAD, OPT_RMSPROP, OPT_ADADELTA, OPT_ADAM, OPT_ADAMW } OptKind;

typedef struct Optim {
    OptKind kind;
    double lr, momentum, dampening, weight_decay, lr_decay, init_acc, eps, alpha, rho, beta1, beta2;
    bool nesterov, centered, amsgrad, maximize;
} Optim;

static bool optim_defaults(Optim *o, const char *name) {
    memset(o, 0, sizeof *o);
    if (!strcmp(name, "sgd") || !strcmp(name, "momentum") || !strcmp(name, "nesterov")) {
        o->kind = OPT_SGD;
        o->lr = 0.01;
        if (strcmp(name, "sgd"))
            o->momentum = 0.9;
        o->nesterov = !strcmp(name, "nesterov");
    } else if (!strcmp(name, "adagrad")) {
        o->kind = OPT_ADAGRAD, o->lr = 0.01, o->eps = 1e-10;
    } else if (!strcmp(name, "rmsprop")) {
        o->kind = OPT_RMSPROP, o->lr = 0.01, o->alpha = 0.99, o->eps = 1e-8;
    } else if (!strcmp(name, "adadelta")) {
        o->kind = OPT_ADADELTA, o->lr = 1.0, o->rho = 0.9, o->eps = 1e-6;
    } else if (!strcmp(name, "adam") || !strcmp(name, "adamw")) {
        o->kind = strcmp(name, "adam") ? OPT_ADAMW : OPT_ADAM;
        o->lr = 1e-3, o->beta1 = 0.9, o->beta2 = 0.999, o->eps = 1e-8;
        o->weight_decay = o->kind == OPT_ADAMW ? 1e-2 : 0.0;
    } else {
        return false;
    }
    return true;
}

static const char *skip_ws(const char *p) {
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

static bool parse_number(const char **pp, double *out) {
    const char *p = skip_ws(*pp);
    if (!strncmp(p, "true", 4) || !strncmp(p, "True", 4)) {
        *out = 1, *pp = p + 4;
        return true;
    }
    if (!strncmp(p, "false", 5) || !strncmp(p, "False", 5)) {
        *out = 0, *pp = p + 5;
        return true;
    }
    char *end;
    *out = strtod(p, &end);
    if (end == p)
        return false;
    *pp = end;
    return true;
}

static bool optim_set(Optim *o, const char *key, const double *v, int nv) {
    struct { const char *k; double *d; bool *b; } tab[] = {
        {"lr", &o->lr, NULL}, {"momentum", &o->momentum, NULL}, {"dampening", &o->dampening, NULL},
        {"weight_decay", &o->weight_decay, NULL}, {"lr_decay", &o->lr_decay, NULL},
        {"initial_accumulator_value", &o->init_acc, NULL}, {"eps", &o->eps, NULL}, {"alpha", &o->alpha, NULL},
        {"rho", &o->rho, NULL}, {"beta1", &o->beta1, NULL}, {"beta2", &o->beta2, NULL},
        {"nesterov", NULL, &o->nesterov}, {"centered", NULL, &o->centered}, {"amsgrad", NULL, &o->amsgrad},
        {"maximize", NULL, &o->maximize},
    };
    if (!strcmp(key, "betas")) {
        if (nv != 2)
            return false;
        o->beta1 = v[0], o->beta2 = v[1];
        return true;
    }
    if (nv != 1)
        return false;
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (!strcmp(key, tab[i].k)) {
            if (tab[i].d)
                *tab[i].d = v[0];
            else
                *tab[i].b = v[0] != 0;
            return true;
        }
    return false;
}

/* "adam(lr=0.001, betas=(0.9, 0.999))" or "adam:lr=0.001,beta1=0.9". */
static bool optim_parse(Ctx *c, Loc loc, const char *spec, Optim *o) {
    const char *p = skip_ws(spec);
    char name[32];
    int n = 0;
    while ((isalnum((unsigned char)*p) || *p == '_') && n < 31)
        name[n++] = (char)tolower((unsigned char)*p++);
    name[n] = 0;
    if (!optim_defaults(o, name))
        return diag_error(c, loc, "unknown optimizer '%s' (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw)",
                          name);
    p = skip_ws(p);
    bool paren = *p == '(';
    if (*p == '(' || *p == ':')
        p++;
    for (;;) {
        p = skip_ws(p);
        if (!*p || (paren && *p == ')'))
            break;
        char key[48];
        int k = 0;
        while ((isalnum((unsigned char)*p) || *p == '_') && k < 47)
            key[k++] = *p++;
        key[k] = 0;
        p = skip_ws(p);
        if (!k || *p != '=')
            return diag_error(c, loc, "bad optimizer argument in '%s'", spec);
        p = skip_ws(p + 1);
        double v[4];
        int nv = 0;
        if (*p == '(' || *p == '[') {
            char close = *p == '(' ? ')' : ']';
            p++;
            while (nv < 4 && parse_number(&p, &v[nv])) {
                nv++;
                p = skip_ws(p);
                if (*p == ',')
                    p++;
            }
            p = skip_ws(p);
            if (*p != close)
                return diag_error(c, loc, "bad value of optimizer argument '%s'", key);
            p++;
        } else if (parse_number(&p, &v[0])) {
            nv = 1;
        } else {
            return diag_error(c, loc, "bad value of optimizer argument '%s'", key);
        }
        if (!optim_set(o, key, v, nv))
            return diag_error(c, loc, "unknown optimizer argument '%s' for %s", key, name);
        p = skip_ws(p);
        if (*p == ',')
            p++;
    }
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
        return diag_error(c, loc, "nesterov momentum requires a momentum and zero dampening");
    return true;
}

/* ---------------------------------------------------------------- update */

static void set_f(Graph *g, Node *n, const char *k, double v) { node_set_attr_float(g, n, k, v); }

static bool emit_param_update(GradCtx *gc, TrainInfo *ti, const Optim *o, Value *p, Value *d) {
    Graph *g = gc->g;
    Value *in[6] = {p, d, ti->step, NULL, NULL, NULL};
    int n_in = 3;
    OpKind op;
    const char *names[3] = {NULL, NULL, NULL};
    int n_state = 0;
    switch (o->kind) {
    case OPT_SGD:
        op = OP_SGDUPDATE;
        if (o->momentum != 0)
            names[n_state++] = "momentum_buffer";
        break;
    case OPT_ADAGRAD:
        op = OP_ADAGRADUPDATE;
        names[n_state++] = "sum";
        break;
    case OPT_RMSPROP:
        op = OP_RMSPROPUPDATE;
        names[n_state++] = "square_avg";
        break;
    case OPT_ADADELTA:
        op = OP_ADADELTAUPDATE;
        names[n_state++] = "square_avg";
        names[n_state++] = "acc_delta";
        break;
    default:
        op = OP_ADAMUPDATE;
        names[n_state++] = "exp_avg";
        names[n_state++] = "exp_avg_sq";
        if (o->amsgrad)
            names[n_state++] = "max_exp_avg_sq";
        break;
    }
    Value *st[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < n_state; i++) {
        st[i] = train_add_state(g, ti, arena_printf(g->arena, "%s_%s", p->name, names[i]), p->dtype, p->rank, p->dims);
        in[n_in++] = st[i];
    }
    if (o->kind == OPT_ADAGRAD && o->init_acc != 0) {
        void *data = arena_alloc(g->arena, value_bytes(st[0]) + 8);
        for (int64_t i = 0; i < value_numel(st[0]); i++)
            data_set_f64(st[0]->dtype, data, i, o->init_acc);
        st[0]->data = data;
        st[0]->init.kind = INIT_DATA;
    }
    /* RMSprop's optional moments sit at fixed operand positions. */
    if (o->kind == OPT_RMSPROP) {
        n_in = 6;
        in[4] = in[5] = NULL;
        if (o->momentum > 0)
            in[4] = st[n_state++] = train_add_state(g, ti, arena_printf(g->arena, "%s_momentum_buffer", p->name),
                                                    p->dtype, p->rank, p->dims);
        if (o->centered)
            in[5] = st[n_state++] = train_add_state(g, ti, arena_printf(g->arena, "%s_grad_avg", p->name), p->dtype,
                                                    p->rank, p->dims);
    }
    Node *n = grad_node(gc, op, in, n_in, 1 + n_state);
    set_f(g, n, "lr", o->lr);
    switch (o->kind) {
    case OPT_SGD:
        set_f(g, n, "momentum", o->momentum);
        set_f(g, n, "dampening", o->dampening);
        node_set_attr_int(g, n, "nesterov", o->nesterov);
        break;
    case OPT_ADAGRAD:
        set_f(g, n, "lr_decay", o->lr_decay);
        set_f(g, n, "eps", o->eps);
        break;
    case OPT_RMSPROP:
        set_f(g, n, "alpha", o->alpha);
        set_f(g, n, "eps", o->eps);
        set_f(g, n, "momentum", o->momentum);
        node_set_attr_int(g, n, "centered", o->centered);
        break;
    case OPT_ADADELTA:
        set_f(g, n, "rho", o->rho);
        set_f(g, n, "eps", o->eps);
        break;
    case OPT_ADAM:
    case OPT_ADAMW:
        set_f(g, n, "beta1", o->beta1);
        set_f(g, n, "beta2", o->beta2);
        set_f(g, n, "eps", o->eps);
        node_set_attr_int(g, n, "amsgrad", o->amsgrad);
        node_set_attr_int(g, n, "decoupled", o->kind == OPT_ADAMW);
        break;
    }
    set_f(g, n, "weight_decay", o->weight_decay);
    node_set_attr_int(g, n, "maximize", o->maximize);
    if (!grad_infer(gc, n))
        return false;
    n->out[0]->name = arena_printf(g->arena, "%s_next", p->name);
    train_set_next(g, ti, p, n->out[0]);
    for (int i = 0; i < n_state; i++) {
        n->out[1 + i]->name = arena_printf(g->arena, "%s_next", st[i]->name);
        train_set_next(g, ti, st[i], n->out[1 + i]);
    }
    return true;
}

bool train_emit_update(Graph *g, Ctx *c, TrainInfo *ti, Value **grads) {
    Loc loc = {c->source_file, 0, 0, NULL, NULL};
    Optim o;
    const char *spec = c->optimizer ? c->optimizer : g->optimizer ? g->optimizer : "sgd";
    if (!optim_parse(c, loc, spec, &o))
        return false;
    Builder b;
    builder_init(&b, g, c, loc);
    GradCtx *gc = &b.gc;
    if (g->clip_grad_norm > 0) {
        Value *total = NULL;
        for (int i = 0; i < ti->n_trainable; i++) {
            if (!grads[i])
                continue;
            Node *n = grad_node(gc, OP_REDUCESUMSQUARE, &grads[i], 1, 1);
            node_set_attr_int(g, n, "keepdims", 0);
            if (!grad_infer(gc, n))
                return false;
            total = total ? grad_op(gc, OP_ADD, total, n->out[0]) : n->out[0];
        }
        if (total) {
            Node *n = grad_node(gc, OP_CLIPCOEF, &total, 1, 1);
            node_set_attr_float(g, n, "max_norm", g->clip_grad_norm);
            if (!grad_infer(gc, n))
                return false;
            for (int i = 0; i < ti->n_trainable; i++)
                if (grads[i])
                    grads[i] = grad_op(gc, OP_MUL, grads[i], n->out[0]);
        }
    }
    for (int i = 0; i < ti->n_trainable; i++) {
        if (!grads[i])
            continue; /* unused by the loss: torch leaves it alone too */
        if (!emit_param_update(gc, ti, &o, ti->state[i], grads[i]))
            return false;
    }
    (void)fabs;
    return !ctx_failed(c);
}
