/*
 * test_misc_shapes.c: shape functions of the quantization and
 * miscellaneous families (Resize, TopK, Unique, NonMaxSuppression, windows,
 * DFT, QuantizeLinear...), called directly on one-node graphs built with
 * the IR builder.  Expected shapes and values come from the ONNX operator
 * documents and the backend node tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ir/ir.h"
#include "ir/shape_misc.h"

typedef struct Fixture {
    Ctx c;
    Graph *g;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    ctx_init(&f->c);
    f->g = graph_new(f->c.arena, "t");
    f->g->opset = 19;
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

static Node *node(Fixture *f, OpKind op, Value **in, int n_in, int n_out, int opset) {
    Node *n = graph_add_node(f->g, op, in, n_in, n_out);
    n->opset = opset;
    return n;
}

static bool infer(Fixture *f, Node *n) { return node_info(n)->shape(n, &f->c) && !ctx_failed(&f->c); }

static void check_shape(const Value *v, DType t, int rank, const int64_t *dims) {
    assert_int_equal(v->dtype, t);
    assert_int_equal(v->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(v->dims[i], dims[i]);
}

static void test_resize_scales(void **state) {
    Fixture *f = *state;
    float sc[4] = {1, 1, 0.6f, 0.6f};
    Value *in[3] = {input(f, DT_F32, 4, (int64_t[]){1, 1, 2, 4}), NULL,
                    graph_add_const(f->g, "s", DT_F32, 1, (int64_t[]){4}, sc)};
    Node *n = node(f, OP_RESIZE, in, 3, 1, 19);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 1, 1, 2});
}

static void test_resize_sizes_not_larger(void **state) {
    Fixture *f = *state;
    int64_t sz[2] = {7, 8};
    Value *in[4] = {input(f, DT_F32, 4, (int64_t[]){1, 1, 2, 2}), NULL, NULL,
                    graph_add_const(f->g, "z", DT_I64, 1, (int64_t[]){2}, sz)};
    Node *n = node(f, OP_RESIZE, in, 4, 1, 19);
    node_set_attr_ints(f->g, n, "axes", (int64_t[]){2, 3}, 2);
    node_set_attr_string(f->g, n, "keep_aspect_ratio_policy", "not_larger");
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 1, 7, 7});
}

static void test_resize_runtime_scales_rejected(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 4, (int64_t[]){1, 1, 2, 2}), NULL, input(f, DT_F32, 1, (int64_t[]){4})};
    Node *n = node(f, OP_RESIZE, in, 3, 1, 19);
    assert_false(infer(f, n));
    assert_non_null(strstr(f->c.diags->msg, "data-dependent"));
}

static void test_resize_linear_taps(void **state) {
    Fixture *f = *state;
    float sc[1] = {2};
    Value *in[3] = {input(f, DT_F32, 1, (int64_t[]){2}), NULL, graph_add_const(f->g, "s", DT_F32, 1, (int64_t[]){1}, sc)};
    Node *n = node(f, OP_RESIZE, in, 3, 1, 19);
    node_set_attr_string(f->g, n, "mode", "linear");
    ResizePlan p;
    assert_true(resize_plan(n, f->c.arena, &p, &f->c));
    /* half_pixel: output 1 maps to 0.25 -> 0.75 * x[0] + 0.25 * x[1] */
    assert_int_equal(p.ax[0].taps, 2);
    assert_int_equal(p.ax[0].idx[2], 0);
    assert_true(p.ax[0].w[2] == 0.75);
    assert_true(p.ax[0].w[3] == 0.25);
}

static void test_topk(void **state) {
    Fixture *f = *state;
    int64_t k = 2;
    Value *in[2] = {input(f, DT_F32, 2, (int64_t[]){3, 4}), graph_add_const(f->g, "k", DT_I64, 1, (int64_t[]){1}, &k)};
    Node *n = node(f, OP_TOPK, in, 2, 2, 11);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 2, (int64_t[]){3, 2});
    check_shape(n->out[1], DT_I64, 2, (int64_t[]){3, 2});
}

static void test_unique_folds(void **state) {
    Fixture *f = *state;
    float x[6] = {2, 1, 1, 3, 4, 3};
    Value *in[1] = {graph_add_const(f->g, "x", DT_F32, 1, (int64_t[]){6}, x)};
    Node *n = node(f, OP_UNIQUE, in, 1, 4, 11);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 1, (int64_t[]){4});
    const float *y = n->out[0]->data;
    assert_true(y[0] == 1 && y[1] == 2 && y[2] == 3 && y[3] == 4);
    const int64_t *idx = n->out[1]->data, *inv = n->out[2]->data, *cnt = n->out[3]->data;
    assert_int_equal(idx[0], 1);
    assert_int_equal(inv[5], 2);
    assert_int_equal(cnt[2], 2);
}

static void test_unique_runtime_rejected(void **state) {
    Fixture *f = *state;
    Value *in[1] = {input(f, DT_F32, 1, (int64_t[]){6})};
    Node *n = node(f, OP_UNIQUE, in, 1, 1, 11);
    assert_false(infer(f, n));
}

static void test_hann_window(void **state) {
    Fixture *f = *state;
    int32_t size = 4;
    Value *in[1] = {graph_add_const(f->g, "n", DT_I32, 0, NULL, &size)};
    Node *n = node(f, OP_HANNWINDOW, in, 1, 1, 17);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 1, (int64_t[]){4});
    const float *w = n->out[0]->data;
    assert_true(w[0] == 0.0f && w[2] == 1.0f);
}

static void test_quantize_blocked(void **state) {
    Fixture *f = *state;
    Value *in[3] = {input(f, DT_F32, 2, (int64_t[]){3, 4}), input(f, DT_F32, 2, (int64_t[]){3, 2}),
                    input(f, DT_I8, 2, (int64_t[]){3, 2})};
    Node *n = node(f, OP_QUANTIZELINEAR, in, 3, 1, 21);
    node_set_attr_int(f->g, n, "block_size", 2);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_I8, 2, (int64_t[]){3, 4});
    QuantLayout q;
    assert_true(quant_layout(n, in[0], in[1], &q, &f->c));
    assert_int_equal(q.kind, 2);
    assert_int_equal(q.nblk, 2);
}

static void test_dft_onesided(void **state) {
    Fixture *f = *state;
    Value *in[1] = {input(f, DT_F32, 4, (int64_t[]){1, 10, 10, 1})};
    Node *n = node(f, OP_DFT, in, 1, 1, 17);
    node_set_attr_int(f->g, n, "onesided", 1);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_F32, 4, (int64_t[]){1, 6, 10, 2});
}

static void test_qlinear_matmul_batch(void **state) {
    Fixture *f = *state;
    Value *in[8] = {input(f, DT_U8, 3, (int64_t[]){2, 2, 4}), input(f, DT_F32, 0, NULL), input(f, DT_U8, 0, NULL),
                    input(f, DT_U8, 2, (int64_t[]){4, 3}),    input(f, DT_F32, 0, NULL), input(f, DT_U8, 0, NULL),
                    input(f, DT_F32, 0, NULL),                input(f, DT_U8, 0, NULL)};
    Node *n = node(f, OP_QLINEARMATMUL, in, 8, 1, 21);
    assert_true(infer(f, n));
    check_shape(n->out[0], DT_U8, 3, (int64_t[]){2, 2, 3});
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_resize_scales),   T(test_resize_sizes_not_larger), T(test_resize_runtime_scales_rejected),
        T(test_resize_linear_taps), T(test_topk),                 T(test_unique_folds),
        T(test_unique_runtime_rejected), T(test_hann_window),     T(test_quantize_blocked),
        T(test_dft_onesided),    T(test_qlinear_matmul_batch),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
