/*
 * test_dsl.c: the .dl parser and the IR printer.
 *
 * Parses small programs from strings and checks the graph (precedence,
 * literals and their dtypes, multi-target bindings, train blocks), the
 * located errors (exact line:col), and that print -> parse -> print gives
 * the same text, also for the joint graph of a training build (its state
 * statements rebuild the TrainInfo, so autodiff does not run again).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/frontend.h"
#include "passes/passes.h"

static Graph *parse(Ctx *c, const char *text) {
    ctx_init(c);
    return dsl_parse(c, "t.dl", text);
}

/* The first diagnostic as "line:col: msg". */
static char *first_error(Ctx *c) {
    static char buf[512];
    buf[0] = 0;
    for (const Diag *d = c->diags; d; d = d->next)
        if (!d->warning) {
            snprintf(buf, sizeof buf, "%d:%d: %s", d->loc.line, d->loc.col, d->msg);
            break;
        }
    return buf;
}

static char *print_graph(Graph *g, Ctx *c) {
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_true(ir_print(g, c, f, NULL, 1 << 20));
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* parse -> print -> parse -> print: the two printed texts must agree. */
static char *round_trip(const char *text) {
    Ctx c1, c2;
    Graph *g1 = parse(&c1, text);
    if (!g1)
        diag_print(&c1, stderr);
    assert_non_null(g1);
    char *t1 = print_graph(g1, &c1);
    Graph *g2 = parse(&c2, t1);
    if (!g2) {
        fprintf(stderr, "%s", t1);
        diag_print(&c2, stderr);
    }
    assert_non_null(g2);
    char *t2 = print_graph(g2, &c2);
    if (strcmp(t1, t2))
        fprintf(stderr, "first:\n%s\nsecond:\n%s", t1, t2);
    assert_string_equal(t1, t2);
    free(t2);
    ctx_free(&c1);
    ctx_free(&c2);
    return t1;
}

static void expect_error(const char *text, const char *want) {
    Ctx c;
    Graph *g = parse(&c, text);
    assert_null(g);
    const char *got = first_error(&c);
    if (strcmp(got, want))
        fprintf(stderr, "want: %s\ngot:  %s\n", want, got);
    assert_string_equal(got, want);
    ctx_free(&c);
}

static const char *op_name(const Node *n) { return op_table[n->op].name; }

static const char mlp[] = "# mlp\n"
                          "model mlp {\n"
                          "  input  x: f32[N, 784]\n"
                          "  param  w1: f32[784, 128] = he_normal(seed=1)\n"
                          "  param  b1: f32[128]      = zeros\n"
                          "  param  w2: f32[128, 10]  = xavier_uniform(seed=2)\n"
                          "  param  b2: f32[10]       = zeros\n"
                          "  h = relu(x @ w1 + b1)\n"
                          "  logits = h @ w2 + b2\n"
                          "  output probs = softmax(logits, axis=-1)\n"
                          "}\n"
                          "train mlp {\n"
                          "  input label: i64[N]\n"
                          "  loss = mse(logits, logits)\n"
                          "  optimizer = Adam(lr=0.001, betas=[0.9, 0.999])\n"
                          "  clip_grad_norm = 1\n"
                          "}\n";

static void test_mlp(void **state) {
    (void)state;
    Ctx c;
    Graph *g = parse(&c, mlp);
    assert_non_null(g);
    assert_string_equal(g->name, "mlp");
    assert_int_equal(g->n_inputs, 1);
    assert_int_equal(g->n_params, 4);
    assert_int_equal(g->n_targets, 1);
    assert_int_equal(g->n_outputs, 1);
    assert_string_equal(g->outputs[0]->name, "probs");
    assert_string_equal(g->inputs[0]->sym[0], "N");
    assert_int_equal(g->inputs[0]->dims[1], 784);
    assert_int_equal(g->params[0]->init.kind, INIT_HE_NORMAL);
    assert_int_equal(g->params[0]->init.seed, 1);
    assert_non_null(g->params[0]->data); /* materialised */
    const char *ops[] = {"MatMul", "Add", "Relu", "MatMul", "Add", "Softmax"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(op_name(g->nodes[i]), ops[i]);
    assert_string_equal(g->nodes[2]->out[0]->name, "h");
    assert_int_equal(attr_int(g->nodes[5], "axis", 0), -1);
    assert_int_equal(g->nodes[0]->loc.line, 8);
    assert_int_equal(g->nodes[0]->loc.col, 14); /* the '@' */
    assert_true(c.train);
    assert_non_null(g->loss);
    assert_string_equal(g->optimizer, "adam(lr=0.001, betas=[0.9, 0.999])");
    assert_true(g->clip_grad_norm == 1.0);
    ctx_free(&c);
}

static void test_precedence(void **state) {
    (void)state;
    Ctx c;
    Graph *g = parse(&c, "model m {\n input a: f32[2]\n input b: f32[2]\n input c: f32[2]\n input d: f32[2]\n"
                         " input e: f32[2]\n y = a + b * c @ d - -e / (a - b)\n output y\n}\n");
    assert_non_null(g);
    /* c @ d, b * (c @ d), a + ..., -e, a - b, (-e) / (a - b), ... - ... */
    const char *ops[] = {"MatMul", "Mul", "Add", "Neg", "Sub", "Div", "Sub"};
    assert_int_equal(g->n_nodes, 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(op_name(g->nodes[i]), ops[i]);
    assert_ptr_equal(g->nodes[0]->in[0], g->inputs[2]);
    assert_ptr_equal(g->nodes[1]->in[1], g->nodes[0]->out[0]);
    assert_ptr_equal(g->nodes[3]->in[0], g->inputs[4]);
    assert_ptr_equal(g->nodes[5]->in[0], g->nodes[3]->out[0]);
    assert_ptr_equal(g->nodes[6]->in[0], g->nodes[2]->out[0]);
    assert_ptr_equal(g->nodes[6]->in[1], g->nodes[5]->out[0]);
    assert_string_equal(g->nodes[6]->out[0]->name, "y");
    ctx_free(&c);
}

static void test_literals(void **state) {
    (void)state;
    Ctx c;
    Graph *g = parse(&c, "model m {\n input x: f32[2, 3]\n input k: i64[3]\n input h: f64[3]\n"
                         " a = reshape(x, [1, -1])\n b = 2 * x\n d = k + 1\n e = h * -0.5\n"
                         " f = x + [[1, 2.5, 3], [4, 5, 6]]\n g: i32[3] = [7, 8, 9]\n"
                         " const c1: i32[3] = [1, 2, 3]\n const c2: f32[2] = 0.25\n const c3: bool[2] = [true, 0]\n"
                         " output a, b, d, e, f, g\n}\n");
    /* `output a, b` is not valid: several outputs take several statements */
    assert_null(g);
    ctx_free(&c);
    g = parse(&c, "model m {\n input x: f32[2, 3]\n input k: i64[3]\n input h: f64[3]\n"
                  " a = reshape(x, [1, -1])\n b = 2 * x\n d = k + 1\n e = h * -0.5\n"
                  " f = x + [[1, 2.5, 3], [4, 5, 6]]\n g: i32[3] = [7, 8, 9]\n"
                  " const c1: i32[3] = [1, 2, 3]\n const c2: f32[2] = 0.25\n const c3: bool[2] = [true, 0]\n"
                  " output a\n}\n");
    assert_non_null(g);
    const Value *shape = g->nodes[0]->in[1];
    assert_int_equal(shape->dtype, DT_I64);
    assert_int_equal(shape->rank, 1);
    assert_int_equal(((const int64_t *)shape->data)[1], -1);
    const Value *two = g->nodes[1]->in[0];
    assert_int_equal(two->dtype, DT_F32);
    assert_int_equal(two->rank, 0);
    assert_true(*(const float *)two->data == 2.0f);
    assert_int_equal(g->nodes[2]->in[1]->dtype, DT_I64);
    const Value *half = g->nodes[3]->in[1];
    assert_int_equal(half->dtype, DT_F64);
    assert_true(*(const double *)half->data == -0.5);
    const Value *mat = g->nodes[4]->in[1];
    assert_int_equal(mat->dtype, DT_F32);
    assert_int_equal(mat->rank, 2);
    assert_int_equal(mat->dims[0], 2);
    assert_int_equal(mat->dims[1], 3);
    assert_true(((const float *)mat->data)[1] == 2.5f);
    const Value *gv = graph_find_value(g, "g");
    assert_int_equal(gv->dtype, DT_I32);
    assert_int_equal(((const int32_t *)gv->data)[2], 9);
    const Value *c1 = graph_find_value(g, "c1");
    assert_int_equal(((const int32_t *)c1->data)[1], 2);
    const Value *c2 = graph_find_value(g, "c2");
    assert_true(((const float *)c2->data)[1] == 0.25f);
    const Value *c3 = graph_find_value(g, "c3");
    assert_int_equal(((const uint8_t *)c3->data)[0], 1);
    ctx_free(&c);
}

static void test_multi_target(void **state) {
    (void)state;
    Ctx c;
    Graph *g = parse(&c, "model m {\n input x: f32[2, 4]\n a, b: f32[2, 2] = split(x, [2, 2], axis=1)\n"
                         " y = a - b\n z, _ = split(x, [1, 3], axis=1)\n output y\n output z\n}\n");
    assert_non_null(g);
    assert_int_equal(g->nodes[0]->n_out, 2);
    assert_string_equal(g->nodes[0]->out[0]->name, "a");
    assert_string_equal(g->nodes[0]->out[1]->name, "b");
    assert_ptr_equal(g->nodes[1]->in[0], g->nodes[0]->out[0]);
    assert_ptr_equal(g->nodes[1]->in[1], g->nodes[0]->out[1]);
    assert_int_equal(g->nodes[2]->n_out, 2);
    assert_string_equal(g->outputs[1]->name, "z");
    ctx_free(&c);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("model m {\n input x: f32[2]\n y = relu(z)\n}\n", "3:11: undefined name 'z'");
    expect_error("model m {\n input x: f32[2]\n x = relu(x)\n}\n", "3:2: 'x' is already defined (each name is bound once)");
    expect_error("model m {\n input x: f32[2]\n y = frobnicate(x)\n}\n", "3:6: unknown operator 'frobnicate'");
    expect_error("model m {\n input x: f32[2]\n y = relu(x, x)\n}\n", "3:6: Relu takes 1 input, not 2");
    expect_error("model m {\n input x: f32[2]\n y = conv(x)\n}\n", "3:6: Conv takes 2 to 3 inputs, not 1");
    expect_error("model m {\n input x: f32[2]\n y = relu(x\n}\n",
                 "4:1: expected ')' to close the argument list, found '}'");
    expect_error("model m {\n input x: f32[2\n}\n", "3:1: expected ']' to close the shape, found '}'");
    expect_error("model m {\n input x: q32[2]\n}\n", "2:11: expected a type (f32, i64, ...), found 'q32'");
    expect_error("model m {\n param w: f32[3] = [1, 2]\n}\n",
                 "2:20: bad initializer: the literal has 2 elements, the type needs 3");
    expect_error("model m {\n param w: i64[2] = [1, 2.5]\n}\n",
                 "2:20: bad initializer: 2.5 is not an integer but the type is i64");
    expect_error("model m {\n param w: f32[2] = gaussian(seed=1)\n}\n",
                 "2:20: bad initializer 'gaussian': expected zeros, ones, a literal, uniform, normal, xavier_uniform, "
                 "xavier_normal, he_uniform, he_normal, orthogonal or file(\"...\")");
    expect_error("model m {\n param w: i32[2, 2] = he_normal(seed=1)\n}\n",
                 "2:23: bad initializer: he_normal needs a floating-point type, not i32");
    expect_error("model m {\n input x: f32[2]\n y = leakyrelu(x, alpha=0.1, alpha=0.2)\n}\n",
                 "3:30: attribute 'alpha' is given twice");
    expect_error("model m {\n input x: f32[2]\n a, b = relu(x)\n}\n", "3:9: Relu has at most 1 output, not 2");
    expect_error("model m {\n input x: f32[2]\n y = x $ 2\n}\n", "3:8: unexpected character '$'");
    expect_error("model m {\n input x: f32[2]\n}\ntrain q {\n}\n",
                 "4:7: train block for 'q', but no model of that name precedes it");
    expect_error("model m {\n input x: f32[2]\n output y\n}\n", "3:9: undefined name 'y'");
    expect_error("", "1:1: no model in the file");
}

static void test_file_init(void **state) {
    (void)state;
    FILE *f = fopen("/tmp/dlcc_test_dsl_w.bin", "wb");
    assert_non_null(f);
    float w[6] = {1, 2, 3, 4, 5, 6};
    fwrite(w, sizeof w, 1, f);
    fclose(f);
    Ctx c;
    Graph *g = parse(&c, "model m {\n param w: f32[2, 3] = file(\"/tmp/dlcc_test_dsl_w.bin\")\n}\n");
    assert_non_null(g);
    assert_true(((const float *)g->params[0]->data)[5] == 6.0f);
    ctx_free(&c);
    g = parse(&c, "model m {\n param w: f32[2, 4] = file(\"/tmp/dlcc_test_dsl_w.bin\")\n}\n");
    assert_null(g);
    assert_non_null(strstr(first_error(&c), "2:8: weight file '/tmp/dlcc_test_dsl_w.bin' has 24 bytes"));
    ctx_free(&c);
    remove("/tmp/dlcc_test_dsl_w.bin");
}

static void test_round_trip(void **state) {
    (void)state;
    free(round_trip(mlp));
    /* dlcc.UnaryGrad's attribute schema is open (it carries the forward
     * node's attributes), so it can hold one attribute of every kind */
    char *t = round_trip("model `my model` {\n input `input.1`: f32[1, 3]\n input `onnx::Conv_0`: i64[?]\n"
                         " const `123`: f32[3] = [0.1, 1e-30, -inf]\n const big: f64[2] = [0.1, 3.141592653589793]\n"
                         " const s: string[2] = [\"a\\\"b\", \"\\n\"]\n const u: u64[1] = [18446744073709551615]\n"
                         " `out.0` = `input.1` + `123`\n t5 = `out.0` * 2\n"
                         " y = dlcc.UnaryGrad(t5, t5, op=\"Relu\", body=graph {\n input q: f32[1]\n r = relu(q) + t5\n output r\n },"
                         " ints=[1, -2], floats=[0.5, 1.0], name=\"n\", names=[\"a\", \"b\"],"
                         " value=tensor(i32[2], [3, 4]), to=f16, eps=1e-05)\n"
                         " cc = Cast(`onnx::Conv_0`, to=i32)\n bb = big + big\n ss = Identity(s)\n uu = Identity(u)\n"
                         " output `out.0`\n output y\n output `input.1`\n output bb\n output ss\n output uu\n}\n");
    assert_non_null(strstr(t, "model `my model` {"));
    assert_non_null(strstr(t, "input `input.1`: f32[1, 3]"));
    assert_non_null(strstr(t, "const `123`: f32[3] = [0.1, 1e-30, -inf]"));
    assert_non_null(strstr(t, "[0.1, 3.141592653589793]"));
    assert_non_null(strstr(t, "to=f16"));
    assert_non_null(strstr(t, "eps=1e-05"));
    assert_non_null(strstr(t, "floats=[0.5, 1.0]"));
    assert_non_null(strstr(t, "body=graph {\n"));
    assert_non_null(strstr(t, "18446744073709551615"));
    free(t);
    /* skipped optional inputs, domains */
    free(round_trip("model m {\n input x: f32[4]\n y = clip(x, _, 6)\n output y\n}\n"));
}

static void test_train_print(void **state) {
    (void)state;
    char *t = round_trip("model m {\n input x: f32[4, 3]\n param w: f32[3, 2] = uniform(-0.5, 0.5, seed=3)\n"
                         " y = x @ w\n output y\n}\ntrain m {\n input t: f32[4, 2]\n loss = mse(y, t)\n"
                         " optimizer = sgd(0.1, momentum=0.9)\n}\n");
    assert_non_null(strstr(t, "param w: f32[3, 2] = uniform(-0.5, 0.5, seed=3)"));
    assert_non_null(strstr(t, "train m {\n  input t: f32[4, 2]\n"));
    assert_non_null(strstr(t, "optimizer = sgd(lr=0.1, momentum=0.9)"));
    assert_non_null(strstr(t, "  loss = "));
    free(t);
}

/* A training program through the pipeline, printed; the text parsed and
 * run through the pipeline again prints the same, with the same TrainInfo
 * (state slots, trainable params, outputs); moments stay frozen. */
static void train_round_trip(const char *text) {
    Ctx c1, c2;
    Graph *g1 = parse(&c1, text);
    if (!g1 || !pipeline_run(g1, &c1))
        diag_print(&c1, stderr);
    assert_non_null(g1);
    assert_false(ctx_failed(&c1));
    char *t1 = print_graph(g1, &c1);
    assert_non_null(strstr(t1, "\n  step train_step_count\n"));
    Graph *g2 = parse(&c2, t1);
    if (!g2 || !pipeline_run(g2, &c2)) {
        fprintf(stderr, "%s", t1);
        diag_print(&c2, stderr);
    }
    assert_non_null(g2);
    assert_false(ctx_failed(&c2));
    char *t2 = print_graph(g2, &c2);
    if (strcmp(t1, t2))
        fprintf(stderr, "first:\n%s\nsecond:\n%s", t1, t2);
    assert_string_equal(t1, t2);
    const TrainInfo *a = train_info_of(g1), *b = train_info_of(g2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n_state, b->n_state);
    assert_int_equal(a->n_trainable, b->n_trainable);
    assert_int_equal(a->n_user_outputs, b->n_user_outputs);
    assert_string_equal(a->step->name, b->step->name);
    assert_int_equal(g1->n_outputs, g2->n_outputs);
    assert_int_equal(g1->n_nodes, g2->n_nodes);
    for (int i = 0; i < a->n_state; i++) {
        assert_string_equal(a->state[i]->name, b->state[i]->name);
        assert_int_equal(a->next_out[i], b->next_out[i]);
        assert_int_equal(a->state[i]->frozen, b->state[i]->frozen);
        assert_int_equal(b->state[i]->frozen, i >= b->n_trainable);
    }
    for (int i = 0; i < g1->n_outputs; i++)
        assert_string_equal(g1->outputs[i]->name, g2->outputs[i]->name);
    assert_int_equal(plan_of(g1)->arena_bytes, plan_of(g2)->arena_bytes);
    free(t1);
    free(t2);
    ctx_free(&c1);
    ctx_free(&c2);
}

static void test_train_round_trip(void **state) {
    (void)state;
    static const char *const optimizers[] = {
        "sgd(lr=0.1)", "sgd(lr=0.1, momentum=0.9, nesterov=1)", "adam(lr=0.01)",
        "adamw(lr=0.01, weight_decay=0.1, amsgrad=1)", "rmsprop(lr=0.01, momentum=0.5, centered=1)",
        "adagrad(lr=0.1, initial_accumulator_value=0.5)", "adadelta(lr=1.0)",
    };
    for (size_t k = 0; k < sizeof optimizers / sizeof *optimizers; k++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "model m {\n input x: f32[4, 3]\n param w: f32[3, 5] = uniform(-0.5, 0.5, seed=3)\n"
                 " param b: f32[5] = zeros\n param g: f32[5] = ones\n param s: f32[5] = zeros\n"
                 " const rm: f32[5] = zeros\n const rv: f32[5] = ones\n"
                 " h = dropout(relu(batchnormalization(x @ w + b, g, s, rm, rv)), ratio=0.2, seed=1)\n"
                 " output y = sigmoid(h)\n}\n"
                 "train m {\n input t: f32[4, 5]\n loss = mse(y, t)\n optimizer = %s\n%s}\n",
                 optimizers[k], k % 2 ? " clip_grad_norm = 0.5\n" : "");
        train_round_trip(text);
    }
    /* a param the loss does not use (`update u` without a new value), the
     * loss also a model output */
    train_round_trip("model e {\n input x: f32[2, 3]\n param w: f32[3, 2] = uniform(-1, 1, seed=1)\n"
                     " param u: f32[2] = ones\n y = x @ w\n output z = y + u\n}\n"
                     "train e {\n input t: f32[2, 2]\n l = mse(y, t)\n output l\n loss = l\n"
                     " optimizer = rmsprop(lr=0.01, momentum=0.5, centered=1)\n}\n");
    /* recurrent layers: LSTM and GRU training forms */
    train_round_trip("model r {\n input x: f32[3, 2, 4]\n param w: f32[1, 12, 4] = uniform(-0.3, 0.3, seed=1)\n"
                     " param r: f32[1, 12, 4] = uniform(-0.3, 0.3, seed=2)\n"
                     " y, yh = gru(x, w, r, hidden_size=4)\n output yh\n}\n"
                     "train r {\n input t: f32[1, 2, 4]\n loss = mse(yh, t)\n optimizer = adam(lr=0.01)\n}\n");
    train_round_trip("model r {\n input x: f32[3, 2, 4]\n param w: f32[1, 16, 4] = uniform(-0.3, 0.3, seed=1)\n"
                     " param r: f32[1, 16, 4] = uniform(-0.3, 0.3, seed=2)\n"
                     " y, yh, yc = lstm(x, w, r, hidden_size=4)\n output yh\n}\n"
                     "train r {\n input t: f32[1, 2, 4]\n loss = mse(yh, t)\n optimizer = sgd(lr=0.1, momentum=0.9)\n"
                     " clip_grad_norm = 1.0\n}\n");
}

/* Errors of the state statements. */
static void test_train_state_errors(void **state) {
    (void)state;
    const char *head = "model m {\n input x: f32[2]\n param w: f32[2] = ones\n param k: i64[] = zeros\n"
                       " y = x * w\n}\ntrain m {\n input t: f32[2]\n l = ReduceSum(y - t)\n";
    char text[1024];
    snprintf(text, sizeof text, "%s output y\n output l\n loss = l\n update q\n step k\n}\n", head);
    expect_error(text, "13:9: 'q' is not a parameter of the model (state statements name params)");
    snprintf(text, sizeof text, "%s output y\n output l\n loss = l\n update w\n}\n", head);
    expect_error(text, "13:9: a train block with state statements needs a 'step' statement");
    snprintf(text, sizeof text, "%s output y\n output l\n loss = l\n step k\n update w\n}\n", head);
    expect_error(text, "14:9: 'update' statements (trainable params) come before 'state' and 'step'");
    snprintf(text, sizeof text, "%s output y\n output l\n loss = l\n update w = y\n step k\n}\n", head);
    expect_error(text, "12:9: the loss must be the graph output just before the new state values");
    /* a binding named like a keyword is still a binding */
    Ctx c;
    snprintf(text, sizeof text, "%s step = l * 2\n state: f32[] = l\n loss = step\n}\n", head);
    Graph *g = parse(&c, text);
    assert_non_null(g);
    assert_null(g->train);
    ctx_free(&c);
}

static void test_annotations(void **state) {
    (void)state;
    Ctx c;
    Graph *g = parse(&c, "model m {\n input x: f32[N, 4]\n h: f32[N, 4] = relu(x)\n"
                         " y: f32[N, 5] = sigmoid(h)\n output y\n}\n");
    assert_non_null(g);
    assert_true(pass_bind_dims(g, &c));
    assert_true(pass_shape(g, &c));
    assert_false(dsl_check_annotations(g, &c));
    assert_string_equal(first_error(&c), "4:5: 'y' is declared f32[N, 5] but its type is f32[1, 4]");
    ctx_free(&c);

    g = parse(&c, "model m {\n input x: f32[2, 4]\n h: f32[2, 4] = relu(x)\n output h\n}\n");
    assert_non_null(g);
    assert_true(pass_bind_dims(g, &c));
    assert_true(pass_shape(g, &c));
    assert_true(dsl_check_annotations(g, &c));
    ctx_free(&c);
}

/* Attribute names and kinds are checked against ir/op_attrs.def. */
static void test_attr_errors(void **state) {
    (void)state;
    expect_error("model m {\n input x: f32[1, 1, 4, 4]\n param w: f32[1, 1, 3, 3] = ones\n"
                 " y = conv(x, w, stride=[1, 1])\n}\n",
                 "4:17: Conv has no attribute 'stride' (did you mean 'strides'?)");
    expect_error("model m {\n input x: f32[2]\n y = softmax(x, Axis=0)\n}\n",
                 "3:17: Softmax has no attribute 'Axis' (did you mean 'axis'?)");
    expect_error("model m {\n input x: f32[2]\n y = identity(x, alpha=0.5)\n}\n",
                 "3:18: Identity has no attribute 'alpha' (it takes none)");
    expect_error("model m {\n input x: f32[1, 1, 4, 4]\n param w: f32[1, 1, 3, 3] = ones\n"
                 " y = conv(x, w, kernel_shape=\"3\")\n}\n",
                 "4:30: Conv: attribute 'kernel_shape' takes a list of integers, not a string");
    expect_error("model m {\n input x: f32[2]\n y = softmax(x, axis=[0])\n}\n",
                 "3:22: Softmax: attribute 'axis' takes an integer, not a list of integers");
    expect_error("model m {\n input x: f32[2]\n y = cast(x, to=1.5)\n}\n",
                 "3:17: Cast: attribute 'to' takes an integer, not a float");

    /* accepted: an integer for a float, integers for floats, `[]` for any list,
     * a type name for `to`, internal `__` names, open helper rows */
    Ctx c;
    Graph *g = parse(&c, "model m {\n input x: f32[2]\n a = leakyrelu(x, alpha=1)\n"
                         " b = cast(a, to=f16)\n c = squeeze(a, axes=[])\n d = relu(a, __captured=0)\n"
                         " e = dlcc.UnaryGrad(a, x, op=\"Elu\", alpha=1.0)\n output e\n}\n");
    if (!g)
        diag_print(&c, stderr);
    assert_non_null(g);
    ctx_free(&c);
}

/* Operators of ops.def with no attribute schema: their attributes are not
 * checked.  The set is pinned (empty today), so an operator added without
 * a row in ir/op_attrs.def fails here: add it to scripts/op_attrs_extra.txt
 * (or let onnx.defs know it) and rerun scripts/gen_op_attrs.py. */
static void test_attr_schema(void **state) {
    (void)state;
    static const char *const known_missing[] = {NULL}; /* "domain.Name" or "Name" */
    int unexpected = 0, missing = 0;
    for (int op = 1; op < OP_COUNT; op++) {
        if (op_attr_schema((OpKind)op))
            continue;
        const OpInfo *info = &op_table[op];
        char full[256];
        snprintf(full, sizeof full, "%s%s%s", info->domain, info->domain[0] ? "." : "", info->name);
        bool known = false;
        for (int k = 0; known_missing[k]; k++)
            known |= !strcmp(known_missing[k], full);
        fprintf(stderr, "note: %s has no attribute schema%s\n", full, known ? "" : " (not in known_missing)");
        missing++;
        unexpected += !known;
    }
    fprintf(stderr, "note: %d of %d operators have no attribute schema\n", missing, OP_COUNT - 1);
    if (unexpected)
        fprintf(stderr, "add them to scripts/op_attrs_extra.txt and run /usr/bin/python3 scripts/gen_op_attrs.py\n");
    assert_int_equal(unexpected, 0);

    Ctx c;
    ctx_init(&c);
    assert_null(op_attr_check(c.arena, OP_CONV, "strides", AT_INTS));
    assert_null(op_attr_check(c.arena, OP_CONV, "strides", AT_UNDEF));
    assert_null(op_attr_check(c.arena, OP_CONV, "__internal", AT_INT));
    assert_null(op_attr_check(c.arena, OP_LEAKYRELU, "alpha", AT_INT));
    assert_null(op_attr_check(c.arena, OP_CAST, "to", AT_STRING)); /* opset 1 spelt types as strings */
    assert_null(op_attr_check(c.arena, OP_UNARYGRAD, "anything", AT_FLOAT));
    assert_null(op_attr_check(c.arena, OP_SGDUPDATE, "nesterov", AT_INT));
    assert_null(op_attr_check(c.arena, OP_LSTMGRAD, "hidden_size", AT_INT));
    assert_string_equal(op_attr_check(c.arena, OP_CONV, "stride", AT_INTS),
                        "Conv has no attribute 'stride' (did you mean 'strides'?)");
    assert_string_equal(op_attr_check(c.arena, OP_CONV, "group", AT_FLOAT),
                        "Conv: attribute 'group' takes an integer, not a float");
    assert_non_null(op_attr_check(c.arena, OP_SGDUPDATE, "beta1", AT_FLOAT));
    ctx_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp),        cmocka_unit_test(test_precedence), cmocka_unit_test(test_literals),
        cmocka_unit_test(test_multi_target), cmocka_unit_test(test_errors),   cmocka_unit_test(test_file_init),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_train_print), cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_train_round_trip), cmocka_unit_test(test_train_state_errors),
        cmocka_unit_test(test_attr_errors), cmocka_unit_test(test_attr_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
