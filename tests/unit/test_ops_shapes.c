/*
 * test_ops_shapes.c: shape functions of the elementwise, tensor and reduce
 * families, called directly on small graphs built with the IR builder.
 *
 * Each test builds one node with inputs of known shape (constants where the
 * op reads an input's data), calls the row's shape function and checks the
 * output dtype and dims, or that a bad node is rejected with an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ir/ir.h"

typedef struct Fixture {
    Ctx c;
    Graph *g;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    ctx_init(&f->c);
    f->g = graph_new(f->c.arena, "t");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    ctx_free(&f->c);
    free(f);
    return 0;
}

static Value *input(Fixture *f, DType t, int rank, const int64_t *dims) {
    return graph_add_input(f->g, NULL, t, rank, dims);
}

static Node *node(Fixture *f, OpKind op, Value **in, int n_in, int n_out) {
    return graph_add_node(f->g, op, in, n_in, n_out);
}

/* Runs the row's shape function; true when it succeeded. */
static bool infer(Fixture *f, Node *n) { return node_info(n)->shape(n, &f->c) && !ctx_failed(&f->c); }

static void check_shape(const Value *v, DType t, int rank, const int64_t *dims) {
    assert_int_equal(v->dtype, t);
    assert_int_equal(v->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(v->dims[i], dims[i]);
}

/* ---------------------------------------------------------------- elementwise */

static void test_binary_broadcast(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 3, (int64_t[]){2, 1, 4}), input(f, DT_F32, 2, (int64_t[]){3, 1})};
    Node *n = node(f, OP_ADD, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){2, 3, 4});
}

static void test_binary_mismatch(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 1, (int64_t[]){3}), input(f, DT_F32, 1, (int64_t[]){4})};
    assert_false(infer(f, node(f, OP_MUL, in, 2, 1)));
}

static void test_pow_mixed_types(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 2, (int64_t[]){2, 3}), input(f, DT_I64, 0, NULL)};
    Node *n = node(f, OP_POW, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 3});
}

static void test_compare_is_bool(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_I32, 1, (int64_t[]){5}), input(f, DT_I32, 1, (int64_t[]){1})};
    Node *n = node(f, OP_LESS, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_BOOL, 1, (int64_t[]){5});
}

static void test_where(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_BOOL, 2, (int64_t[]){2, 1}), input(f, DT_F16, 1, (int64_t[]){3}),
                    input(f, DT_F16, 0, NULL)};
    Node *n = node(f, OP_WHERE, in, 3, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F16, 2, (int64_t[]){2, 3});
}

static void test_variadic_sum(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 1, (int64_t[]){3}), input(f, DT_F32, 2, (int64_t[]){2, 1}),
                    input(f, DT_F32, 0, NULL)};
    Node *n = node(f, OP_SUM, in, 3, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 3});
}

static void test_prelu_one_way(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 3, (int64_t[]){2, 3, 4}), input(f, DT_F32, 2, (int64_t[]){3, 1})};
    Node *n = node(f, OP_PRELU, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){2, 3, 4});
    Value *bad[2] = {input(f, DT_F32, 1, (int64_t[]){1}), input(f, DT_F32, 1, (int64_t[]){3})};
    assert_false(infer(f, node(f, OP_PRELU, bad, 2, 1)));
}

static void test_cast_and_castlike(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 1, (int64_t[]){4});
    Node *n = node(f, OP_CAST, &x, 1, 1);
    node_set_attr_int(f->g, n, "to", DT_F16);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F16, 1, (int64_t[]){4});
    Value *in[2] = {x, input(f, DT_I8, 0, NULL)};
    Node *m = node(f, OP_CASTLIKE, in, 2, 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_I8, 1, (int64_t[]){4});
}

static void test_dropout_mask(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 2, (int64_t[]){2, 3});
    Node *n = node(f, OP_DROPOUT, &x, 1, 2);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 3});
    check_shape(n->out[1], DT_BOOL, 2, (int64_t[]){2, 3});
}

/* ---------------------------------------------------------------- tensor */

static void test_flatten(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 4, (int64_t[]){2, 3, 4, 5});
    Node *n = node(f, OP_FLATTEN, &x, 1, 1);
    node_set_attr_int(f->g, n, "axis", -2);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){6, 20});
}

static void test_reshape_zero_and_infer(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 3, (int64_t[]){2, 3, 4}), graph_const_i64s(f->g, (int64_t[]){0, -1}, 2)};
    Node *n = node(f, OP_RESHAPE, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 12});
}

static void test_reshape_allowzero(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 2, (int64_t[]){0, 3}), graph_const_i64s(f->g, (int64_t[]){3, 0}, 2)};
    Node *n = node(f, OP_RESHAPE, in, 2, 1);
    node_set_attr_int(f->g, n, "allowzero", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){3, 0});
}

static void test_reshape_bad_count(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 1, (int64_t[]){6}), graph_const_i64s(f->g, (int64_t[]){4, -1}, 2)};
    assert_false(infer(f, node(f, OP_RESHAPE, in, 2, 1)));
}

static void test_transpose_default_perm(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 3, (int64_t[]){2, 3, 4});
    Node *n = node(f, OP_TRANSPOSE, &x, 1, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){4, 3, 2});
    Node *m = node(f, OP_TRANSPOSE, &x, 1, 1);
    node_set_attr_ints(f->g, m, "perm", (int64_t[]){1, 0, 2}, 3);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 3, (int64_t[]){3, 2, 4});
}

static void test_concat(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 2, (int64_t[]){2, 3}), input(f, DT_F32, 2, (int64_t[]){2, 1}),
                    input(f, DT_F32, 2, (int64_t[]){2, 4})};
    Node *n = node(f, OP_CONCAT, in, 3, 1);
    node_set_attr_int(f->g, n, "axis", -1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 8});
}

static void test_squeeze_unsqueeze(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 4, (int64_t[]){1, 3, 1, 5});
    Node *n = node(f, OP_SQUEEZE, &x, 1, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){3, 5});
    Value *in[2] = {n->out[0], graph_const_i64s(f->g, (int64_t[]){0, -1}, 2)};
    Node *m = node(f, OP_UNSQUEEZE, in, 2, 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 4, (int64_t[]){1, 3, 5, 1});
}

static void test_slice_negative_step(void **state) {
    Fixture *f = *state;
    Value *in[5] = {input(f, DT_F32, 2, (int64_t[]){20, 10}), graph_const_i64s(f->g, (int64_t[]){-1}, 1),
                    graph_const_i64s(f->g, (int64_t[]){INT64_MIN}, 1), graph_const_i64s(f->g, (int64_t[]){1}, 1),
                    graph_const_i64s(f->g, (int64_t[]){-3}, 1)};
    Node *n = node(f, OP_SLICE, in, 5, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){20, 4});
    int64_t start[2], step[2], cnt[2];
    assert_true(slice_resolve(n, &f->c, start, step, cnt));
    assert_int_equal(start[1], 9);
    assert_int_equal(step[1], -3);
}

static void test_split_equal_and_uneven(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 1, (int64_t[]){7});
    Node *n = node(f, OP_SPLIT, &x, 1, 3);
    node_set_attr_int(f->g, n, "num_outputs", 3);
    n->opset = 18;
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 1, (int64_t[]){3});
    check_shape(n->out[2], DT_F32, 1, (int64_t[]){1});
    Node *m = node(f, OP_SPLIT, &x, 1, 2);
    assert_false(infer(f, m)); /* 7 does not split into 2 equal parts */
}

static void test_gather_family(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 3, (int64_t[]){5, 6, 7}), input(f, DT_I64, 2, (int64_t[]){2, 3})};
    Node *n = node(f, OP_GATHER, in, 2, 1);
    node_set_attr_int(f->g, n, "axis", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){5, 2, 3, 7});
    Value *nd[2] = {input(f, DT_F32, 3, (int64_t[]){2, 3, 4}), input(f, DT_I64, 3, (int64_t[]){2, 5, 1})};
    Node *m = node(f, OP_GATHERND, nd, 2, 1);
    node_set_attr_int(f->g, m, "batch_dims", 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 3, (int64_t[]){2, 5, 4});
}

static void test_pad_and_tile(void **state) {
    Fixture *f = *state;
    Value *in[2] = {input(f, DT_F32, 2, (int64_t[]){3, 4}), graph_const_i64s(f->g, (int64_t[]){1, 0, 2, -1}, 4)};
    Node *n = node(f, OP_PAD, in, 2, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){6, 3});
    Value *tin[2] = {in[0], graph_const_i64s(f->g, (int64_t[]){2, 3}, 2)};
    Node *t = node(f, OP_TILE, tin, 2, 1);
    assert_true(infer(f, t));
    check_shape(t->out[0], DT_F32, 2, (int64_t[]){6, 12});
}

static void test_shape_data(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 3, (int64_t[]){2, 3, 4});
    Node *n = node(f, OP_SHAPE, &x, 1, 1);
    node_set_attr_int(f->g, n, "start", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_I64, 1, (int64_t[]){2});
    const int64_t *d = n->out[0]->data;
    assert_non_null(d);
    assert_int_equal(d[0], 3);
    assert_int_equal(d[1], 4);
}

static void test_range_and_onehot(void **state) {
    Fixture *f = *state;
    int32_t s = 10, l = 4, dl = -3;
    Value *in[3] = {graph_add_const(f->g, NULL, DT_I32, 0, NULL, &s), graph_add_const(f->g, NULL, DT_I32, 0, NULL, &l),
                    graph_add_const(f->g, NULL, DT_I32, 0, NULL, &dl)};
    Node *n = node(f, OP_RANGE, in, 3, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_I32, 1, (int64_t[]){2});
    float depth = 5;
    Value *oh[3] = {input(f, DT_I64, 2, (int64_t[]){2, 3}), graph_add_const(f->g, NULL, DT_F32, 0, NULL, &depth),
                    input(f, DT_F32, 1, (int64_t[]){2})};
    Node *m = node(f, OP_ONEHOT, oh, 3, 1);
    node_set_attr_int(f->g, m, "axis", 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 3, (int64_t[]){2, 5, 3});
}

static void test_depth_to_space(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 4, (int64_t[]){1, 8, 2, 3});
    Node *n = node(f, OP_DEPTHTOSPACE, &x, 1, 1);
    node_set_attr_int(f->g, n, "blocksize", 2);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 2, 4, 6});
}

/* ---------------------------------------------------------------- reduce */

static void test_reduce_axes_attr_and_input(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 3, (int64_t[]){2, 3, 4});
    Node *n = node(f, OP_REDUCEMEAN, &x, 1, 1);
    node_set_attr_ints(f->g, n, "axes", (int64_t[]){-1}, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){2, 3, 1});
    Value *in[2] = {x, graph_const_i64s(f->g, (int64_t[]){0, 2}, 2)};
    Node *m = node(f, OP_REDUCESUM, in, 2, 1);
    node_set_attr_int(f->g, m, "keepdims", 0);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 1, (int64_t[]){3});
}

static void test_reduce_all_and_noop(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 2, (int64_t[]){2, 3});
    Node *n = node(f, OP_REDUCEMAX, &x, 1, 1);
    node_set_attr_int(f->g, n, "keepdims", 0);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 0, NULL);
    Node *m = node(f, OP_REDUCEMAX, &x, 1, 1);
    node_set_attr_int(f->g, m, "noop_with_empty_axes", 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 2, (int64_t[]){2, 3});
}

static void test_argmax(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 3, (int64_t[]){2, 3, 4});
    Node *n = node(f, OP_ARGMAX, &x, 1, 1);
    node_set_attr_int(f->g, n, "axis", 1);
    node_set_attr_int(f->g, n, "keepdims", 0);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_I64, 2, (int64_t[]){2, 4});
}

static void test_reduce_bad_axis(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 2, (int64_t[]){2, 3});
    Node *n = node(f, OP_REDUCESUM, &x, 1, 1);
    node_set_attr_ints(f->g, n, "axes", (int64_t[]){2}, 1);
    assert_false(infer(f, n));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_binary_broadcast),
        T(test_binary_mismatch),
        T(test_pow_mixed_types),
        T(test_compare_is_bool),
        T(test_where),
        T(test_variadic_sum),
        T(test_prelu_one_way),
        T(test_cast_and_castlike),
        T(test_dropout_mask),
        T(test_flatten),
        T(test_reshape_zero_and_infer),
        T(test_reshape_allowzero),
        T(test_reshape_bad_count),
        T(test_transpose_default_perm),
        T(test_concat),
        T(test_squeeze_unsqueeze),
        T(test_slice_negative_step),
        T(test_split_equal_and_uneven),
        T(test_gather_family),
        T(test_pad_and_tile),
        T(test_shape_data),
        T(test_range_and_onehot),
        T(test_depth_to_space),
        T(test_reduce_axes_attr_and_input),
        T(test_reduce_all_and_noop),
        T(test_argmax),
        T(test_reduce_bad_axis),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
