/*
 * test_passes.c: shape inference, constant folding, DCE, fusion, dim binding, the
 * verifier and the pipeline driver, on graphs built with the IR builder.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passes/passes.h"

typedef struct T {
    Ctx c;
    Graph *g;
} T;

static int setup(void **state) {
    T *t = calloc(1, sizeof *t);
    ctx_init(&t->c);
    t->c.source_file = "test.dl";
    t->g = graph_new(t->c.arena, "test");
    *state = t;
    return 0;
}

static int teardown(void **state) {
    T *t = *state;
    ctx_free(&t->c);
    free(t);
    return 0;
}

/* The message of the first diagnostic (error or warning), or "". */
static const char *first_msg(const Ctx *c, bool warning) {
    for (const Diag *d = c->diags; d; d = d->next)
        if (d->warning == warning)
            return d->msg;
    return "";
}

static Value *input_f32(Graph *g, const char *name, int rank, const int64_t *dims) {
    return graph_add_input(g, name, DT_F32, rank, dims);
}

static Value *const_i64(Graph *g, const int64_t *v, int n) { return graph_const_i64s(g, v, n); }

static Node *node2(Graph *g, OpKind op, Value *a, Value *b) {
    Value *in[2] = {a, b};
    return graph_add_node(g, op, in, 2, 1);
}

static Node *node1(Graph *g, OpKind op, Value *a) { return graph_add_node(g, op, &a, 1, 1); }

/* ---------------------------------------------------------------- shape */

static void test_shape_broadcast(void **state) {
    T *t = *state;
    int64_t a[] = {2, 1, 3}, b[] = {4, 3};
    Node *n = node2(t->g, OP_ADD, input_f32(t->g, "a", 3, a), input_f32(t->g, "b", 2, b));
    graph_add_output(t->g, n->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    Value *y = n->out[0];
    assert_int_equal(y->rank, 3);
    assert_int_equal(y->dims[0], 2);
    assert_int_equal(y->dims[1], 4);
    assert_int_equal(y->dims[2], 3);
    assert_int_equal(y->dtype, DT_F32);
    assert_true(t->g->shapes_known);
    assert_null(y->data);
}

static void test_shape_broadcast_error_is_located(void **state) {
    T *t = *state;
    int64_t a[] = {2, 3}, b[] = {4, 3};
    Node *n = node2(t->g, OP_ADD, input_f32(t->g, "a", 2, a), input_f32(t->g, "b", 2, b));
    n->loc.file = "test.dl";
    n->loc.line = 7;
    n->loc.col = 5;
    Node *m = node1(t->g, OP_RELU, n->out[0]);
    graph_add_output(t->g, m->out[0]);
    assert_false(pass_shape(t->g, &t->c));
    assert_int_equal(t->c.n_errors, 1); /* stops at the first failing node */
    assert_non_null(t->c.diags);
    assert_int_equal(t->c.diags->loc.line, 7);
    assert_int_equal(t->c.diags->loc.col, 5);
    assert_non_null(strstr(t->c.diags->msg, "do not broadcast"));
    assert_non_null(strstr(t->c.diags->msg, "Add"));
    assert_false(t->g->shapes_known);
}

static void test_shape_arity(void **state) {
    T *t = *state;
    int64_t a[] = {2};
    Node *n = node1(t->g, OP_ADD, input_f32(t->g, "a", 1, a));
    graph_add_output(t->g, n->out[0]);
    assert_false(pass_shape(t->g, &t->c));
    assert_string_equal(first_msg(&t->c, false), "Add: expects 2 inputs, got 1");
}

static void test_shape_arity_range(void **state) {
    T *t = *state;
    OpKind conv = op_lookup("", "Conv");
    if (conv == OP_INVALID)
        skip();
    int64_t a[] = {1, 1, 4, 4};
    Node *n = node1(t->g, conv, input_f32(t->g, "x", 4, a));
    graph_add_output(t->g, n->out[0]);
    assert_false(pass_shape(t->g, &t->c));
    assert_string_equal(first_msg(&t->c, false), "Conv: expects 2 to 3 inputs, got 1");
}

static void test_shape_missing_input(void **state) {
    T *t = *state;
    Value *x = graph_add_input(t->g, "x", DT_F32, -1, NULL); /* no shape */
    Node *n = node1(t->g, OP_RELU, x);
    graph_add_output(t->g, n->out[0]);
    assert_false(pass_shape(t->g, &t->c));
    assert_non_null(strstr(first_msg(&t->c, false), "no known type and shape"));
}

/* ---------------------------------------------------------------- folding */

static void test_fold_add_consts_then_dce(void **state) {
    T *t = *state;
    int64_t d[] = {3};
    float av[] = {1, 2, 3}, bv[] = {10, 20, 30};
    Value *a = graph_add_const(t->g, "a", DT_F32, 1, d, av);
    Value *b = graph_add_const(t->g, "b", DT_F32, 1, d, bv);
    Node *n = node2(t->g, OP_ADD, a, b);
    Value *x = input_f32(t->g, "x", 1, d);
    Node *m = node2(t->g, OP_MUL, x, n->out[0]);
    graph_add_output(t->g, m->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    const float *s = n->out[0]->data;
    assert_non_null(s);
    assert_true(s[0] == 11 && s[1] == 22 && s[2] == 33);
    assert_null(m->out[0]->data); /* depends on an input */
    assert_true(pass_dce(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 1);
    assert_ptr_equal(t->g->nodes[0], m);
    assert_int_equal(n->out[0]->kind, VK_CONST);
    assert_true(value_is_const(m->in[1]));
    assert_true(ir_verify(t->g, &t->c));
}

static void test_fold_int_arith(void **state) {
    T *t = *state;
    int64_t av[] = {-7, 7, 9}, bv[] = {2, -2, 3};
    Value *a = const_i64(t->g, av, 3), *b = const_i64(t->g, bv, 3);
    Node *dv = node2(t->g, OP_DIV, a, b);
    Node *sb = node2(t->g, OP_SUB, a, b);
    Node *ng = node1(t->g, OP_NEG, dv->out[0]);
    graph_add_output(t->g, ng->out[0]);
    graph_add_output(t->g, sb->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    const int64_t *q = dv->out[0]->data, *s = sb->out[0]->data, *r = ng->out[0]->data;
    assert_non_null(q);
    assert_int_equal(q[0], -3); /* integer Div truncates */
    assert_int_equal(q[1], -3);
    assert_int_equal(q[2], 3);
    assert_int_equal(s[0], -9);
    assert_int_equal(r[0], 3);
    assert_int_equal(dv->out[0]->dtype, DT_I64);
}

static void test_fold_int_div_by_zero_is_not_folded(void **state) {
    T *t = *state;
    int64_t av[] = {1}, bv[] = {0};
    Node *dv = node2(t->g, OP_DIV, const_i64(t->g, av, 1), const_i64(t->g, bv, 1));
    graph_add_output(t->g, dv->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    assert_null(dv->out[0]->data);
    assert_int_equal(t->c.n_errors, 0);
}

static void test_fold_random_is_not_folded(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    float v[] = {1, 2, 3, 4};
    Node *n = graph_add_node(t->g, OP_DROPOUT, (Value *[]){graph_add_const(t->g, "w", DT_F32, 1, d, v)}, 1, 1);
    graph_add_output(t->g, n->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    assert_null(n->out[0]->data);
}

/* Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as torch exports x.view(x.size(0), -1). */
static void test_fold_shape_chain(void **state) {
    T *t = *state;
    OpKind shape = op_lookup("", "Shape"), gather = op_lookup("", "Gather"), unsq = op_lookup("", "Unsqueeze");
    if (shape == OP_INVALID || gather == OP_INVALID || unsq == OP_INVALID)
        skip();
    int64_t d[] = {2, 3, 4}, zero[] = {0}, minus1[] = {-1};
    Value *x = input_f32(t->g, "x", 3, d);
    Node *s = node1(t->g, shape, x);
    Value *idx = graph_add_const(t->g, "i0", DT_I64, 0, NULL, arena_memdup(t->g->arena, zero, 8));
    Node *ga = node2(t->g, gather, s->out[0], idx);
    node_set_attr_int(t->g, ga, "axis", 0);
    Node *u = node2(t->g, unsq, ga->out[0], const_i64(t->g, zero, 1));
    Node *cat = node2(t->g, OP_CONCAT, u->out[0], const_i64(t->g, minus1, 1));
    node_set_attr_int(t->g, cat, "axis", 0);
    Node *r = node2(t->g, OP_RESHAPE, x, cat->out[0]);
    graph_add_output(t->g, r->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    const int64_t *sd = s->out[0]->data;
    assert_non_null(sd);
    assert_int_equal(sd[0], 2);
    assert_int_equal(sd[2], 4);
    const int64_t *cd = cat->out[0]->data;
    assert_non_null(cd);
    assert_int_equal(cd[0], 2);
    assert_int_equal(cd[1], -1);
    assert_int_equal(r->out[0]->rank, 2);
    assert_int_equal(r->out[0]->dims[1], 12);
    assert_true(pass_dce(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 1); /* only the Reshape is left */
    assert_true(ir_verify(t->g, &t->c));
}

static void test_fold_concat_transpose(void **state) {
    T *t = *state;
    int64_t d[] = {2, 2};
    float av[] = {1, 2, 3, 4}, bv[] = {5, 6, 7, 8};
    Value *a = graph_add_const(t->g, "a", DT_F32, 2, d, av), *b = graph_add_const(t->g, "b", DT_F32, 2, d, bv);
    Node *cat = node2(t->g, OP_CONCAT, a, b);
    node_set_attr_int(t->g, cat, "axis", 1);
    Node *tr = node1(t->g, OP_TRANSPOSE, cat->out[0]);
    graph_add_output(t->g, tr->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    const float *c = cat->out[0]->data, *y = tr->out[0]->data;
    assert_non_null(c);
    float want_c[] = {1, 2, 5, 6, 3, 4, 7, 8};
    for (int i = 0; i < 8; i++)
        assert_true(c[i] == want_c[i]);
    assert_non_null(y);
    assert_int_equal(tr->out[0]->dims[0], 4);
    float want_y[] = {1, 3, 2, 4, 5, 7, 6, 8};
    for (int i = 0; i < 8; i++)
        assert_true(y[i] == want_y[i]);
}

static void test_fold_pass_catches_new_nodes(void **state) {
    T *t = *state;
    int64_t d[] = {2};
    float av[] = {1, -2};
    Value *a = graph_add_const(t->g, "a", DT_F32, 1, d, av);
    Node *n = node1(t->g, OP_ABS, a);
    graph_add_output(t->g, n->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    n->out[0]->data = NULL; /* as if a later pass had added the node */
    assert_true(pass_fold(t->g, &t->c));
    const float *y = n->out[0]->data;
    assert_non_null(y);
    assert_true(y[0] == 1 && y[1] == 2);
}

/* ---------------------------------------------------------------- dce */

static void test_dce_unused(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    Value *x = input_f32(t->g, "x", 1, d);
    Node *used = node1(t->g, OP_RELU, x);
    Node *dead1 = node1(t->g, OP_EXP, x);
    Node *dead2 = node1(t->g, OP_LOG, dead1->out[0]);
    Node *drop = graph_add_node(t->g, OP_DROPOUT, &x, 1, 1);
    (void)dead2;
    (void)drop;
    graph_add_output(t->g, used->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    t->c.opt_level = 0;
    assert_true(pass_dce(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 4); /* -O0 keeps unused nodes */
    t->c.opt_level = 2;
    assert_true(pass_dce(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 1);
    assert_ptr_equal(t->g->nodes[0], used);
    assert_true(ir_verify(t->g, &t->c));
}

static void test_dce_keeps_loss(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    Value *x = input_f32(t->g, "x", 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    Node *l = node1(t->g, OP_EXP, x);
    graph_add_output(t->g, a->out[0]);
    t->g->loss = l->out[0];
    assert_true(pass_shape(t->g, &t->c));
    assert_true(pass_dce(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 2);
}

/* ---------------------------------------------------------------- bind_dims */

static void test_bind_dims(void **state) {
    T *t = *state;
    int64_t d[] = {-1, 3, -1};
    Value *x = input_f32(t->g, "x", 3, d);
    x->sym[0] = "N";
    x->sym[2] = "M";
    Value *y = input_f32(t->g, "y", 3, d);
    y->sym[0] = "N";
    y->sym[2] = "M";
    DimBinding dims[] = {{"N", 8}, {"K", 2}};
    t->c.dims = dims;
    t->c.n_dims = 2;
    assert_true(pass_bind_dims(t->g, &t->c));
    assert_int_equal(x->dims[0], 8);
    assert_int_equal(x->dims[2], 1);
    assert_int_equal(y->dims[0], 8);
    assert_null(x->sym[0]);
    assert_null(x->sym[2]);
    int warnings = 0;
    for (const Diag *dg = t->c.diags; dg; dg = dg->next)
        warnings += dg->warning;
    assert_int_equal(warnings, 2); /* M once, K once */
    assert_string_equal(first_msg(&t->c, true),
                        "symbolic dimension 'M' is not bound; using 1 (bind it with --dim M=VALUE)");
    assert_non_null(strstr(t->c.diags->next->msg, "'K'"));
    assert_int_equal(t->c.n_errors, 0);
}

/* ---------------------------------------------------------------- verify */

static void test_verify_use_before_def(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    Value *x = input_f32(t->g, "x", 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    Node *b = node1(t->g, OP_EXP, a->out[0]);
    graph_add_output(t->g, b->out[0]);
    assert_true(ir_verify(t->g, &t->c));
    t->g->nodes[0] = b; /* swap: b now uses a's output before a runs */
    t->g->nodes[1] = a;
    b->loc.line = 3;
    assert_false(ir_verify(t->g, &t->c));
    assert_non_null(strstr(first_msg(&t->c, false), "internal error"));
    assert_non_null(strstr(first_msg(&t->c, false), "before its definition"));
    assert_int_equal(t->c.diags->loc.line, 3);
}

static void test_verify_catches_bad_graphs(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    Value *x = input_f32(t->g, "x", 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    graph_add_output(t->g, a->out[0]);
    a->in[0] = NULL; /* a required input missing */
    assert_false(ir_verify(t->g, &t->c));
    assert_non_null(strstr(first_msg(&t->c, false), "required input 0"));
    a->in[0] = x;
    Value stray = *x; /* not registered in g->values */
    stray.id = 999;
    a->in[0] = &stray;
    Ctx c2;
    ctx_init(&c2);
    assert_false(ir_verify(t->g, &c2));
    assert_non_null(strstr(first_msg(&c2, false), "not in the graph's value list"));
    ctx_free(&c2);
    a->in[0] = x;
}

static void test_verify_after_shape(void **state) {
    T *t = *state;
    int64_t d[] = {4};
    Value *x = input_f32(t->g, "x", 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    graph_add_output(t->g, a->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    assert_true(ir_verify(t->g, &t->c));
    a->out[0]->rank = -1;
    assert_false(ir_verify(t->g, &t->c));
    assert_non_null(strstr(first_msg(&t->c, false), "no type after shape inference"));
}


/* ---------------------------------------------------------------- fuse */

/* x -> Conv(w[, b]) -> BatchNormalization -> Relu, every weight constant. */
static Node *fuse_conv_bn_relu(T *t, bool bias, Node **bn, Node **relu) {
    int64_t xd[] = {1, 2, 3, 3}, wd[] = {2, 2, 1, 1}, cd[] = {2};
    static const float w[] = {1, 2, 3, 4}, b[] = {0.5f, -1}, scale[] = {2, 0.5f}, beta[] = {0.25f, 1},
                       mean[] = {1, -1}, var[] = {3, 0.25f};
    Value *in[3] = {input_f32(t->g, "x", 4, xd), graph_add_const(t->g, "w", DT_F32, 4, wd, w),
                    graph_add_const(t->g, "b", DT_F32, 1, cd, b)};
    Node *conv = graph_add_node(t->g, OP_CONV, in, bias ? 3 : 2, 1);
    Value *bin[5] = {conv->out[0], graph_add_const(t->g, "scale", DT_F32, 1, cd, scale),
                     graph_add_const(t->g, "beta", DT_F32, 1, cd, beta),
                     graph_add_const(t->g, "mean", DT_F32, 1, cd, mean),
                     graph_add_const(t->g, "var", DT_F32, 1, cd, var)};
    *bn = graph_add_node(t->g, OP_BATCHNORMALIZATION, bin, 5, 1);
    node_set_attr_float(t->g, *bn, "epsilon", 1.0);
    *relu = node1(t->g, OP_RELU, (*bn)->out[0]);
    graph_add_output(t->g, (*relu)->out[0]);
    return conv;
}

static void test_fuse_bn_and_relu_into_conv(void **state) {
    T *t = *state;
    t->c.opt_level = 1;
    Node *bn, *relu;
    Node *conv = fuse_conv_bn_relu(t, true, &bn, &relu);
    Value *y = relu->out[0];
    assert_true(pass_shape(t->g, &t->c));
    assert_true(pass_fuse(t->g, &t->c));
    assert_true(pass_dce(t->g, &t->c));
    assert_true(ir_verify(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 1);
    assert_ptr_equal(t->g->nodes[0], conv);
    assert_int_equal(conv->op, OP_CONV);
    assert_ptr_equal(conv->out[0], y); /* the graph output keeps its value */
    assert_ptr_equal(t->g->outputs[0], y);
    assert_string_equal(attr_string(conv, "__act", ""), "relu");
    /* s = scale / sqrt(var + 1) = [1, 0.4472...] */
    const float *w = conv->in[1]->data, *b = conv->in[2]->data;
    assert_string_not_equal(conv->in[1]->name, "w"); /* a new constant */
    assert_float_equal(w[0], 1, 1e-6);
    assert_float_equal(w[1], 2, 1e-6);
    assert_float_equal(w[2], 3 * 0.5 / sqrt(1.25), 1e-6);
    assert_float_equal(w[3], 4 * 0.5 / sqrt(1.25), 1e-6);
    assert_float_equal(b[0], (0.5 - 1) * 1 + 0.25, 1e-6);
    assert_float_equal(b[1], (-1 + 1) * 0.5 / sqrt(1.25) + 1, 1e-6);
    const float *w0 = graph_find_value(t->g, "w")->data;
    assert_true(w0[2] == 3); /* the original is untouched */
}

static void test_fuse_bn_adds_bias(void **state) {
    T *t = *state;
    Node *bn, *relu;
    Node *conv = fuse_conv_bn_relu(t, false, &bn, &relu);
    assert_true(pass_shape(t->g, &t->c));
    assert_true(pass_fuse(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 1);
    assert_int_equal(conv->n_in, 3);
    const float *b = conv->in[2]->data;
    assert_float_equal(b[0], -1 * 1 + 0.25, 1e-6);
    assert_float_equal(b[1], 1 * 0.5 / sqrt(1.25) + 1, 1e-6);
    assert_true(ir_verify(t->g, &t->c));
}

static void test_fuse_keeps_needed_values(void **state) {
    T *t = *state;
    Node *bn, *relu;
    Node *conv = fuse_conv_bn_relu(t, true, &bn, &relu);
    graph_add_output(t->g, bn->out[0]); /* the pre-activation value is an output */
    graph_add_output(t->g, conv->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    assert_true(pass_fuse(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 3);
    assert_null(node_attr(conv, "__act"));
    assert_string_equal(conv->in[1]->name, "w");
}

static void test_fuse_skips_training_builds(void **state) {
    T *t = *state;
    Node *bn, *relu;
    fuse_conv_bn_relu(t, true, &bn, &relu);
    assert_true(pass_shape(t->g, &t->c));
    t->c.train = true;
    assert_true(pass_fuse(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 3);
}

static void test_fuse_clip_and_leaky_relu(void **state) {
    T *t = *state;
    int64_t xd[] = {1, 1, 2, 2}, wd[] = {1, 1, 1, 1};
    static const float w[] = {2};
    Value *in[3] = {input_f32(t->g, "x", 4, xd), graph_add_const(t->g, "w", DT_F32, 4, wd, w), NULL};
    Node *c1 = graph_add_node(t->g, OP_CONV, in, 2, 1);
    Value *cin[3] = {c1->out[0], graph_const_scalar_f32(t->g, 0), graph_const_scalar_f32(t->g, 6)};
    Node *clip = graph_add_node(t->g, OP_CLIP, cin, 3, 1);
    clip->opset = 13;
    in[0] = clip->out[0];
    Node *c2 = graph_add_node(t->g, OP_CONV, in, 2, 1);
    Node *leaky = node1(t->g, OP_LEAKYRELU, c2->out[0]);
    node_set_attr_float(t->g, leaky, "alpha", 0.25);
    graph_add_output(t->g, leaky->out[0]);
    assert_true(pass_shape(t->g, &t->c));
    assert_true(pass_fuse(t->g, &t->c));
    assert_true(ir_verify(t->g, &t->c));
    assert_int_equal(t->g->n_nodes, 2);
    assert_string_equal(attr_string(c1, "__act", ""), "clip");
    assert_float_equal(attr_float(c1, "__act_lo", -1), 0, 0);
    assert_float_equal(attr_float(c1, "__act_hi", -1), 6, 0);
    assert_string_equal(attr_string(c2, "__act", ""), "leaky_relu");
    assert_float_equal(attr_float(c2, "__act_alpha", -1), 0.25, 0);
    assert_ptr_equal(c2->in[0], c1->out[0]);
}

/* ---------------------------------------------------------------- pipeline */

static void test_pipeline_names(void **state) {
    T *t = *state;
    assert_true(pipeline_has_pass("shape"));
    assert_true(pipeline_has_pass("plan"));
    assert_false(pipeline_has_pass("nope"));
    t->c.print_after = "nope";
    int64_t d[] = {4};
    Node *a = node1(t->g, OP_RELU, input_f32(t->g, "x", 1, d));
    graph_add_output(t->g, a->out[0]);
    assert_false(pipeline_run(t->g, &t->c));
    assert_non_null(strstr(first_msg(&t->c, false), "--print-after=nope"));
}

static void test_pipeline_stops_at_first_failure(void **state) {
    T *t = *state;
    int64_t a[] = {2, 3}, b[] = {4, 3};
    Node *n = node2(t->g, OP_ADD, input_f32(t->g, "a", 2, a), input_f32(t->g, "b", 2, b));
    graph_add_output(t->g, n->out[0]);
    t->c.verify_each = true;
    assert_false(pipeline_run(t->g, &t->c));
    assert_int_equal(t->c.n_errors, 1);
    assert_null(plan_of(t->g)); /* never reached the planner */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shape_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_broadcast_error_is_located, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_arity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_arity_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_missing_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_add_consts_then_dce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_int_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_int_div_by_zero_is_not_folded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_random_is_not_folded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_shape_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_concat_transpose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fold_pass_catches_new_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dce_unused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dce_keeps_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_dims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_use_before_def, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_catches_bad_graphs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_after_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuse_bn_and_relu_into_conv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuse_bn_adds_bias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuse_keeps_needed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuse_skips_training_builds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuse_clip_and_leaky_relu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_stops_at_first_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
