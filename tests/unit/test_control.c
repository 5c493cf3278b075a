/*
 * test_control.c: If, Loop and Scan (passes/subgraph.c, ir/shape_control.c,
 * codegen/emit_control.c) on hand-built graphs.
 *
 * The structural tests check the capture of outer-scope values, the static
 * shape rules (errors named at the node) and the inlining of If on a
 * constant condition.  The end-to-end tests run the whole pipeline and
 * codegen, build the generated C with cc -Wall -Wextra -Werror together
 * with a small main that feeds fixed inputs, and compare its printed
 * outputs with values computed here.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codegen/codegen.h"
#include "passes/passes.h"

typedef struct T {
    Ctx c;
    Graph *g;
} T;

static int setup(void **state) {
    T *t = calloc(1, sizeof *t);
    ctx_init(&t->c);
    t->c.opt_level = 2;
    t->g = graph_new(t->c.arena, "control");
    t->g->opset = 13;
    *state = t;
    return 0;
}

static int teardown(void **state) {
    T *t = *state;
    ctx_free(&t->c);
    free(t);
    return 0;
}

static Graph *body_new(T *t, Graph *parent, const char *name) {
    Graph *b = graph_new(t->c.arena, name);
    b->parent = parent;
    b->opset = parent->opset;
    return b;
}

static Value *op1(Graph *g, OpKind op, Value *a) { return graph_add_node(g, op, &a, 1, 1)->out[0]; }

static Value *op2(Graph *g, OpKind op, Value *a, Value *b) {
    Value *in[2] = {a, b};
    return graph_add_node(g, op, in, 2, 1)->out[0];
}

static void set_graph(Graph *g, Node *n, const char *name, Graph *body) { node_set_attr(g, n, name, AT_GRAPH)->g = body; }

static bool has_error(const Ctx *c, const char *text) {
    for (const Diag *d = c->diags; d; d = d->next)
        if (!d->warning && strstr(d->msg, text))
            return true;
    return false;
}

/* x: f32[2] input; If(cond) with then = x + W, else = -W, W = Relu(x) outer. */
static Node *build_if(T *t, Value *cond, bool mismatch) {
    Graph *g = t->g;
    int64_t d2 = 2;
    Value *x = graph_add_input(g, "x", DT_F32, 1, &d2);
    Value *w = op1(g, OP_RELU, x);
    Graph *tb = body_new(t, g, "then");
    graph_add_output(tb, op2(tb, OP_ADD, x, w));
    Graph *eb = body_new(t, g, "else");
    if (mismatch) {
        static const float three[3] = {1, 2, 3};
        int64_t d3 = 3;
        graph_add_output(eb, graph_add_const(eb, "k3", DT_F32, 1, &d3, three));
    } else {
        graph_add_output(eb, op1(eb, OP_NEG, w));
    }
    Node *n = graph_add_node(g, OP_IF, &cond, 1, 1);
    set_graph(g, n, "then_branch", tb);
    set_graph(g, n, "else_branch", eb);
    graph_add_output(g, n->out[0]);
    return n;
}

static void test_capture(void **state) {
    T *t = *state;
    Value *cond = graph_add_input(t->g, "cond", DT_BOOL, 0, NULL);
    Node *n = build_if(t, cond, false);
    assert_true(pass_capture(t->g, &t->c));
    assert_int_equal(subgraph_n_captured(n), 2); /* x and W */
    assert_int_equal(n->n_in, 3);
    Graph *tb = node_attr(n, "then_branch")->g, *eb = node_attr(n, "else_branch")->g;
    assert_int_equal(tb->n_inputs, 2);
    assert_int_equal(eb->n_inputs, 2);
    /* the bodies read their own inputs now */
    assert_ptr_equal(tb->nodes[0]->in[0], tb->inputs[0]);
    assert_ptr_equal(tb->nodes[0]->in[1], tb->inputs[1]);
    assert_ptr_equal(eb->nodes[0]->in[0], eb->inputs[1]);
    assert_true(pass_capture(t->g, &t->c)); /* idempotent */
    assert_int_equal(n->n_in, 3);
    /* after planning, the else branch no longer needs x: still kept, then reads it */
    assert_true(pipeline_run(t->g, &t->c));
    assert_int_equal(n->n_in, 3);
}

static void test_if_shape_mismatch(void **state) {
    T *t = *state;
    Value *cond = graph_add_input(t->g, "cond", DT_BOOL, 0, NULL);
    build_if(t, cond, true);
    assert_false(pipeline_run(t->g, &t->c));
    assert_true(has_error(&t->c, "then_branch but f32[3] in else_branch"));
}

static void test_if_constant_inlined(void **state) {
    T *t = *state;
    static const uint8_t yes = 1;
    Value *cond = graph_add_const(t->g, "cond", DT_BOOL, 0, NULL, &yes);
    build_if(t, cond, true); /* the else branch is never inferred */
    assert_true(pipeline_run(t->g, &t->c));
    for (int i = 0; i < t->g->n_nodes; i++)
        assert_int_not_equal(t->g->nodes[i]->op, OP_IF);
    assert_int_equal(t->g->outputs[0]->rank, 1);
    assert_int_equal(t->g->outputs[0]->dims[0], 2);
}

/* Loop: carried y += x * i (x outer), scan output y per iteration. */
static Node *build_loop(T *t, Value *m) {
    Graph *g = t->g;
    int64_t d2 = 2;
    Value *x = graph_add_input(g, "x", DT_F32, 1, &d2);
    Value *y0 = op1(g, OP_NEG, x);
    Graph *b = body_new(t, g, "body");
    Value *it = graph_add_input(b, "i", DT_I64, 0, NULL);
    Value *c = graph_add_input(b, "c", DT_BOOL, 0, NULL);
    Value *y = graph_add_input(b, "y", DT_F32, 1, &d2);
    Node *cast = graph_add_node(b, OP_CAST, &it, 1, 1);
    node_set_attr_int(b, cast, "to", DT_F32);
    Value *ny = op2(b, OP_ADD, y, op2(b, OP_MUL, x, cast->out[0]));
    graph_add_output(b, op1(b, OP_IDENTITY, c));
    graph_add_output(b, ny);
    graph_add_output(b, op1(b, OP_IDENTITY, ny));
    Value *in[3] = {m, NULL, y0};
    Node *n = graph_add_node(g, OP_LOOP, in, 3, 2);
    set_graph(g, n, "body", b);
    graph_add_output(g, n->out[0]);
    graph_add_output(g, n->out[1]);
    return n;
}

static void test_loop_dynamic_trip_count(void **state) {
    T *t = *state;
    build_loop(t, graph_add_input(t->g, "m", DT_I64, 0, NULL));
    assert_false(pipeline_run(t->g, &t->c));
    assert_true(has_error(&t->c, "scan outputs need a trip count M known at compile time"));
}

/* ---------------------------------------------------------------- end to end */

static char tmpdir[256];

static int group_setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dlcc_test_control_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    char cmd[512];
    if (getenv("DLCC_KEEP_TMP"))
        return 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_text(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Compiles the graph, builds it with main_c (which prints the outputs with
 * %.6g separated by spaces) and returns what it printed. */
static char *run_generated(T *t, const char *main_c) {
    assert_true(pipeline_run(t->g, &t->c));
    Buf c = {0}, h = {0};
    assert_true(codegen_emit(t->g, &t->c, "net", &c, &h));
    write_text("net.c", c.data);
    write_text("net.h", h.data);
    write_text("main.c", main_c);
    buf_free(&c);
    buf_free(&h);
    const char *cc = getenv("CC") ? getenv("CC") : "cc";
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s -std=c11 -O1 -Wall -Wextra -Werror -o net main.c net.c -lm && ./net > out.txt", tmpdir,
             cc);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/out.txt", tmpdir);
    FILE *f = fopen(cmd, "r");
    assert_non_null(f);
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static const char loop_main[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"net.h\"\n"
    "int main(void) {\n"
    "    void *s = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64);\n"
    "    float x[2] = {1.0f, 2.0f}, y[2], scan[8];\n"
    "    const void *in[1] = {x};\n    void *out[2] = {y, scan};\n"
    "    if (net_init(s) || net_run(s, in, out))\n        return 1;\n"
    "    printf(\"%g %g |\", y[0], y[1]);\n"
    "    for (int i = 0; i < 8; i++)\n        printf(\" %g\", scan[i]);\n"
    "    free(s);\n    return 0;\n}\n";

static void test_loop_runs(void **state) {
    T *t = *state;
    int64_t four = 4;
    build_loop(t, graph_add_const(t->g, "m", DT_I64, 0, NULL, &four));
    /* y = -x; y += x * i for i = 0..3: x * (-1 + 0 + 1 + 2 + 3) */
    assert_string_equal(run_generated(t, loop_main), "5 10 | -1 -2 0 0 2 4 5 10");
}

/* Scan (opset 9+) over axis 1 of X[2, 3], reversed: state s += column,
 * scan output the running state. */
static const char scan_main[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"net.h\"\n"
    "int main(void) {\n"
    "    void *s = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64);\n"
    "    float x[6] = {1, 2, 3, 10, 20, 30}, st[2], o[6];\n"
    "    const void *in[1] = {x};\n    void *out[2] = {st, o};\n"
    "    if (net_init(s) || net_run(s, in, out))\n        return 1;\n"
    "    printf(\"%g %g |\", st[0], st[1]);\n"
    "    for (int i = 0; i < 6; i++)\n        printf(\" %g\", o[i]);\n"
    "    free(s);\n    return 0;\n}\n";

static void test_scan_runs(void **state) {
    T *t = *state;
    Graph *g = t->g;
    int64_t dx[2] = {2, 3}, d2 = 2;
    Value *x = graph_add_input(g, "x", DT_F32, 2, dx);
    static const float zero[2] = {0, 0};
    Value *s0 = graph_add_const(g, "s0", DT_F32, 1, &d2, zero);
    Graph *b = body_new(t, g, "body");
    Value *s = graph_add_input(b, "s", DT_F32, 1, &d2);
    Value *col = graph_add_input(b, "col", DT_F32, 1, &d2);
    Value *ns = op2(b, OP_ADD, s, col);
    graph_add_output(b, ns);
    graph_add_output(b, op1(b, OP_IDENTITY, ns));
    Value *in[2] = {s0, x};
    Node *n = graph_add_node(g, OP_SCAN, in, 2, 2);
    set_graph(g, n, "body", b);
    node_set_attr_int(g, n, "num_scan_inputs", 1);
    int64_t one = 1, rev = 1;
    node_set_attr_ints(g, n, "scan_input_axes", &one, 1);
    node_set_attr_ints(g, n, "scan_input_directions", &rev, 1);
    node_set_attr_ints(g, n, "scan_output_axes", &one, 1);
    graph_add_output(g, n->out[0]);
    graph_add_output(g, n->out[1]);
    /* columns visited 3, 2, 1: running sums (3, 30), (5, 50), (6, 60),
     * stacked on axis 1 */
    assert_string_equal(run_generated(t, scan_main), "6 60 | 3 5 6 30 50 60");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_if_shape_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_if_constant_inlined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_dynamic_trip_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
