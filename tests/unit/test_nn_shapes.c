/*
 * test_nn_shapes.c: shape functions of the neural-network family (MatMul,
 * Gemm, Conv, pools, BatchNormalization), called directly on one-node
 * graphs built with the IR builder, plus nn_window's pad arithmetic.
 *
 * Expected shapes come from the ONNX operator documents and the backend
 * node tests (test_conv_with_autopad_same, test_maxpool_2d_ceil, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ir/ir.h"
#include "ir/shape_nn.h"

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

static bool infer(Fixture *f, Node *n) { return node_info(n)->shape(n, &f->c) && !ctx_failed(&f->c); }

static void check_shape(const Value *v, DType t, int rank, const int64_t *dims) {
    assert_int_equal(v->dtype, t);
    assert_int_equal(v->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(v->dims[i], dims[i]);
}

static Node *binary(Fixture *f, OpKind op, Value *a, Value *b) {
    Value *in[2] = {a, b};
    return graph_add_node(f->g, op, in, 2, 1);
}

/* ---------------------------------------------------------------- MatMul, Gemm */

static void test_matmul_2d(void **state) {
    Fixture *f = *state;
    Node *n = binary(f, OP_MATMUL, input(f, DT_F32, 2, (int64_t[]){3, 4}), input(f, DT_F32, 2, (int64_t[]){4, 5}));
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){3, 5});
}

static void test_matmul_1d_promotion(void **state) {
    Fixture *f = *state;
    Node *n = binary(f, OP_MATMUL, input(f, DT_F32, 1, (int64_t[]){4}), input(f, DT_F32, 3, (int64_t[]){2, 4, 5}));
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){2, 5});
    n = binary(f, OP_MATMUL, input(f, DT_F32, 4, (int64_t[]){1, 2, 3, 4}), input(f, DT_F32, 1, (int64_t[]){4}));
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){1, 2, 3});
    n = binary(f, OP_MATMUL, input(f, DT_F32, 1, (int64_t[]){4}), input(f, DT_F32, 1, (int64_t[]){4}));
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 0, NULL);
}

static void test_matmul_batch_broadcast(void **state) {
    Fixture *f = *state;
    Node *n = binary(f, OP_MATMUL, input(f, DT_F32, 4, (int64_t[]){2, 1, 3, 4}),
                     input(f, DT_F32, 3, (int64_t[]){5, 4, 6}));
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){2, 5, 3, 6});
}

static void test_matmul_mismatch(void **state) {
    Fixture *f = *state;
    Node *n = binary(f, OP_MATMUL, input(f, DT_F32, 2, (int64_t[]){3, 4}), input(f, DT_F32, 2, (int64_t[]){5, 6}));
    assert_false(infer(f, n));
    assert_true(f->c.n_errors > 0);
}

static void test_gemm_trans_and_bias(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 2, (int64_t[]){4, 3}), input(f, DT_F32, 2, (int64_t[]){5, 4}),
                    input(f, DT_F32, 1, (int64_t[]){5})};
    Node *n = graph_add_node(f->g, OP_GEMM, in, 3, 1);
    node_set_attr_int(f->g, n, "transA", 1);
    node_set_attr_int(f->g, n, "transB", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){3, 5});
}

static void test_gemm_bad_bias(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 2, (int64_t[]){3, 4}), input(f, DT_F32, 2, (int64_t[]){4, 5}),
                    input(f, DT_F32, 1, (int64_t[]){3})};
    Node *n = graph_add_node(f->g, OP_GEMM, in, 3, 1);
    assert_false(infer(f, n));
}

/* ---------------------------------------------------------------- Conv */

static Node *conv(Fixture *f, const int64_t *x, const int64_t *w, int rank) {
    Value *in[2] = {input(f, DT_F32, rank, x), input(f, DT_F32, rank, w)};
    return graph_add_node(f->g, OP_CONV, in, 2, 1);
}

static void test_conv_pads_strides(void **state) {
    Fixture *f = *state;
    /* test_conv_with_strides_and_asymmetric_padding: 7x5, k3, s2, pads (1,0,1,0) -> 4x2 */
    Node *n = conv(f, (int64_t[]){1, 1, 7, 5}, (int64_t[]){1, 1, 3, 3}, 4);
    node_set_attr_ints(f->g, n, "strides", (int64_t[]){2, 2}, 2);
    node_set_attr_ints(f->g, n, "pads", (int64_t[]){1, 0, 1, 0}, 4);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 1, 4, 2});
}

static void test_conv_auto_pad_same(void **state) {
    Fixture *f = *state;
    Node *n = conv(f, (int64_t[]){1, 1, 5, 5}, (int64_t[]){1, 1, 3, 3}, 4);
    node_set_attr_ints(f->g, n, "strides", (int64_t[]){2, 2}, 2);
    node_set_attr_string(f->g, n, "auto_pad", "SAME_LOWER");
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 1, 3, 3});
    NNWindow w;
    assert_true(nn_window(n, n->in[0], (int64_t[]){3, 3}, false, &w, &f->c));
    assert_int_equal(w.pb[0], 1);
    assert_int_equal(w.pe[0], 1);
}

static void test_conv_groups_dilations_1d_3d(void **state) {
    Fixture *f = *state;
    Node *n = conv(f, (int64_t[]){2, 8, 10}, (int64_t[]){6, 4, 3}, 3);
    node_set_attr_int(f->g, n, "group", 2);
    node_set_attr_ints(f->g, n, "dilations", (int64_t[]){2}, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){2, 6, 6});
    n = conv(f, (int64_t[]){1, 3, 4, 5, 6}, (int64_t[]){2, 3, 2, 2, 2}, 5);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 5, (int64_t[]){1, 2, 3, 4, 5});
}

static void test_conv_bad_channels(void **state) {
    Fixture *f = *state;
    Node *n = conv(f, (int64_t[]){1, 3, 5, 5}, (int64_t[]){4, 2, 3, 3}, 4);
    assert_false(infer(f, n));
}

/* ---------------------------------------------------------------- pools, BatchNormalization */

static void test_maxpool_ceil_and_indices(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    Node *n = graph_add_node(f->g, OP_MAXPOOL, &x, 1, 2);
    node_set_attr_ints(f->g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_attr_ints(f->g, n, "strides", (int64_t[]){2, 2}, 2);
    node_set_attr_int(f->g, n, "ceil_mode", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 1, 2, 2});
    check_shape(n->out[1], DT_I64, 4, (int64_t[]){1, 1, 2, 2});
}

static void test_avgpool_ceil_drops_window_in_pad(void **state) {
    Fixture *f = *state;
    /* in 5, k 3, s 2, pads 1/1, ceil: ceil(4/2)+1 = 3 windows, the last starts at 3 < 5+1: kept */
    Value *x = input(f, DT_F32, 3, (int64_t[]){1, 1, 5});
    Node *n = graph_add_node(f->g, OP_AVERAGEPOOL, &x, 1, 1);
    node_set_attr_ints(f->g, n, "kernel_shape", (int64_t[]){3}, 1);
    node_set_attr_ints(f->g, n, "strides", (int64_t[]){2}, 1);
    node_set_attr_ints(f->g, n, "pads", (int64_t[]){1, 1}, 2);
    node_set_attr_int(f->g, n, "ceil_mode", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 3, (int64_t[]){1, 1, 3});
    /* in 4, k 1, s 2, pads 0/1, ceil: ceil(4/2)+1 = 3, but the last window starts at 4, in the end pad:
     * dropped -> 2 */
    Value *x2 = input(f, DT_F32, 3, (int64_t[]){1, 1, 4});
    Node *m = graph_add_node(f->g, OP_AVERAGEPOOL, &x2, 1, 1);
    node_set_attr_ints(f->g, m, "kernel_shape", (int64_t[]){1}, 1);
    node_set_attr_ints(f->g, m, "strides", (int64_t[]){2}, 1);
    node_set_attr_ints(f->g, m, "pads", (int64_t[]){0, 1}, 2);
    node_set_attr_int(f->g, m, "ceil_mode", 1);
    assert_true(infer(f, m));
    check_shape(m->out[0], DT_F32, 3, (int64_t[]){1, 1, 2});
}

static void test_pool_missing_kernel(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    Node *n = graph_add_node(f->g, OP_MAXPOOL, &x, 1, 1);
    assert_false(infer(f, n));
}

static void test_global_pool(void **state) {
    Fixture *f = *state;
    Value *x = input(f, DT_F32, 5, (int64_t[]){2, 3, 4, 5, 6});
    Node *n = graph_add_node(f->g, OP_GLOBALAVERAGEPOOL, &x, 1, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 5, (int64_t[]){2, 3, 1, 1, 1});
}

static void test_batchnorm(void **state) {
    Fixture *f = *state;
    Value *in[5] = {input(f, DT_F32, 4, (int64_t[]){2, 3, 4, 5})};
    for (int i = 1; i < 5; i++)
        in[i] = input(f, DT_F32, 1, (int64_t[]){3});
    Node *n = graph_add_node(f->g, OP_BATCHNORMALIZATION, in, 5, 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){2, 3, 4, 5});
    in[4] = input(f, DT_F32, 1, (int64_t[]){4});
    n = graph_add_node(f->g, OP_BATCHNORMALIZATION, in, 5, 1);
    assert_false(infer(f, n));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_matmul_2d),
        T(test_matmul_1d_promotion),
        T(test_matmul_batch_broadcast),
        T(test_matmul_mismatch),
        T(test_gemm_trans_and_bias),
        T(test_gemm_bad_bias),
        T(test_conv_pads_strides),
        T(test_conv_auto_pad_same),
        T(test_conv_groups_dilations_1d_3d),
        T(test_conv_bad_channels),
        T(test_maxpool_ceil_and_indices),
        T(test_avgpool_ceil_drops_window_in_pad),
        T(test_pool_missing_kernel),
        T(test_global_pool),
        T(test_batchnorm),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
