/*
 * test_autodiff.c: the autodiff pass on IR level.  Models are written in
 * .dl, shaped, differentiated with pass_autodiff, and the joint graph is
 * inspected: gradient and update nodes, the TrainInfo layout, summed
 * contributions, the loss added by --loss, and the located errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/frontend.h"
#include "passes/passes.h"

static Graph *differentiate(Ctx *c, const char *text) {
    Graph *g = dsl_parse(c, "t.dl", text);
    if (!g)
        return NULL;
    c->train = true;
    if (!pass_bind_dims(g, c) || !pass_shape(g, c) || !pass_autodiff(g, c))
        return NULL;
    return g;
}

static Node *find_op(Graph *g, OpKind op, int nth) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->op == op && nth-- == 0)
            return g->nodes[i];
    return NULL;
}

static bool has_message(const Ctx *c, const char *needle) {
    for (const Diag *d = c->diags; d; d = d->next)
        if (strstr(d->msg, needle))
            return true;
    return false;
}

static const char *MLP = "model m {\n"
                         "  input x: f32[4, 3]\n"
                         "  param w: f32[3, 2] = uniform(-1, 1, seed=1)\n"
                         "  param b: f32[2] = zeros\n"
                         "  output y = relu(x @ w + b)\n"
                         "}\n"
                         "train m {\n"
                         "  input t: f32[4, 2]\n"
                         "  loss = mse(y, t)\n"
                         "  optimizer = adam(lr=0.01)\n"
                         "}\n";

static void test_mlp_joint_graph(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = differentiate(&c, MLP);
    assert_non_null(g);
    assert_false(ctx_failed(&c));
    TrainInfo *ti = train_info_of(g);
    assert_non_null(ti);
    assert_int_equal(ti->n_trainable, 2);
    assert_string_equal(ti->state[0]->name, "w");
    assert_string_equal(ti->state[1]->name, "b");
    assert_non_null(ti->step);
    assert_int_equal(ti->step->dtype, DT_I64);
    /* user output, loss, then w, m_w, v_w, b, m_b, v_b */
    assert_int_equal(ti->n_user_outputs, 1);
    assert_int_equal(g->n_outputs, 2 + 6);
    assert_ptr_equal(g->outputs[1], g->loss);
    /* the gradients got readable names and feed AdamUpdate nodes */
    Value *dw = graph_find_value(g, "d_w"), *db = graph_find_value(g, "d_b");
    assert_non_null(dw);
    assert_non_null(db);
    assert_true(value_same_shape(dw, ti->state[0]));
    assert_int_equal(db->def->op, OP_SUMTO); /* bias gradient summed over the batch */
    Node *u = find_op(g, OP_ADAMUPDATE, 0);
    assert_non_null(u);
    assert_ptr_equal(u->in[0], ti->state[0]);
    assert_ptr_equal(u->in[1], dw);
    assert_ptr_equal(u->in[2], ti->step);
    assert_non_null(find_op(g, OP_ADAMUPDATE, 1));
    assert_null(find_op(g, OP_ADAMUPDATE, 2));
    /* every state slot that changes maps to a graph output */
    for (int i = 0; i < ti->n_state; i++)
        if (ti->state[i] != ti->step)
            assert_true(ti->next_out[i] > ti->n_user_outputs && ti->next_out[i] < g->n_outputs);
    assert_true(ir_verify(g, &c));
    ctx_free(&c);
}

/* y = w * w: both operands' contributions are summed into d_w. */
static void test_uses_summed(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = differentiate(&c, "model m {\n  param w: f32[3] = ones\n  y = w * w\n"
                                 "  output l = reducesum(y, keepdims=0)\n}\n"
                                 "train m {\n  loss = l\n  optimizer = sgd(lr=0.1)\n}\n");
    assert_non_null(g);
    Value *dw = graph_find_value(g, "d_w");
    assert_non_null(dw);
    assert_int_equal(dw->def->op, OP_ADD);
    assert_non_null(find_op(g, OP_SGDUPDATE, 0));
    ctx_free(&c);
}

static void test_missing_rule_is_located_error(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = differentiate(&c, "model m {\n  param w: f32[3] = ones\n  const k: f32[3] = ones\n"
                                 "  y = mod(w, k, fmod=1)\n  output l = reducesum(y, keepdims=0)\n}\n"
                                 "train m {\n  loss = l\n}\n");
    assert_null(g);
    assert_true(has_message(&c, "no gradient rule for Mod"));
    assert_int_equal(c.diags->loc.line, 4);
    ctx_free(&c);
}

static void test_frozen_and_unused_params(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = differentiate(&c, "model m {\n  param w: f32[3] = ones\n  param unused: f32[3] = ones\n"
                                 "  output l = reducesum(w * w, keepdims=0)\n}\n"
                                 "train m {\n  loss = l\n  optimizer = momentum(lr=0.1)\n}\n");
    assert_non_null(g);
    TrainInfo *ti = train_info_of(g);
    assert_int_equal(ti->n_trainable, 2);
    assert_int_equal(ti->next_out[1], -1); /* no gradient reaches it: left alone, like torch */
    Node *u = find_op(g, OP_SGDUPDATE, 0);
    assert_non_null(u);
    assert_int_equal(u->n_in, 4); /* with a momentum buffer */
    assert_null(find_op(g, OP_SGDUPDATE, 1));
    ctx_free(&c);
}

static void test_bad_optimizer(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    c.optimizer = "adamax:lr=1";
    assert_null(differentiate(&c, MLP));
    assert_true(has_message(&c, "unknown optimizer 'adamax'"));
    ctx_free(&c);
    ctx_init(&c);
    c.optimizer = "adam:lr=0.1,gamma=2";
    assert_null(differentiate(&c, MLP));
    assert_true(has_message(&c, "unknown optimizer argument 'gamma'"));
    ctx_free(&c);
}

/* ONNX-style --loss: a `target` input is added and the loss built on output 0. */
static void test_loss_kind_adds_target(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    c.loss_kind = "cross_entropy";
    c.optimizer = "sgd:lr=0.1";
    Graph *g = differentiate(&c, "model m {\n  input x: f32[4, 3]\n  param w: f32[3, 5] = ones\n"
                                 "  output z = x @ w\n}\n");
    assert_non_null(g);
    assert_int_equal(g->n_targets, 1);
    assert_string_equal(g->targets[0]->name, "target");
    assert_int_equal(g->targets[0]->dtype, DT_I64);
    assert_int_equal(g->targets[0]->rank, 1);
    assert_int_equal(g->targets[0]->dims[0], 4);
    assert_non_null(g->loss);
    assert_int_equal(g->loss->rank, 0);
    ctx_free(&c);
    ctx_init(&c);
    c.loss_kind = "hinge";
    assert_null(differentiate(&c, "model m {\n  input x: f32[4, 3]\n  param w: f32[3, 5] = ones\n"
                                  "  output z = x @ w\n}\n"));
    assert_true(has_message(&c, "unknown loss 'hinge'"));
    ctx_free(&c);
}

/* BatchNormalization trains on batch statistics: a BatchNormTrain node;
 * its running mean and variance become non-trainable state updated each
 * step; Dropout becomes DropoutTrain keyed by the step counter. */
static void test_batchnorm_dropout_training_forms(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = differentiate(&c, "model m {\n"
                                 "  input x: f32[4, 3, 2, 2]\n"
                                 "  param s: f32[3] = ones\n"
                                 "  param b: f32[3] = zeros\n"
                                 "  const rm: f32[3] = zeros\n"
                                 "  const rv: f32[3] = ones\n"
                                 "  h = dropout(batchnormalization(x, s, b, rm, rv), ratio=0.5)\n"
                                 "  output y = reducesum(h, keepdims=0)\n"
                                 "}\n"
                                 "train m {\n  loss = y\n  optimizer = sgd(lr=0.1)\n}\n");
    assert_non_null(g);
    assert_false(ctx_failed(&c));
    TrainInfo *ti = train_info_of(g);
    assert_int_equal(ti->n_trainable, 2);
    Node *bn = find_op(g, OP_BATCHNORMTRAIN, 0), *dr = find_op(g, OP_DROPOUTTRAIN, 0);
    assert_non_null(bn);
    assert_non_null(dr);
    assert_ptr_equal(dr->in[1], ti->step);
    assert_non_null(find_op(g, OP_BATCHNORMGRAD, 0));
    assert_non_null(find_op(g, OP_DROPOUTGRAD, 0));
    int running = 0;
    for (int i = 0; i < ti->n_state; i++) {
        Value *v = ti->state[i];
        if (v && (!strcmp(v->name, "rm") || !strcmp(v->name, "rv"))) {
            running++;
            assert_true(v->frozen);
            assert_true(ti->next_out[i] >= 0);
            assert_ptr_equal(g->outputs[ti->next_out[i]], bn->out[!strcmp(v->name, "rm") ? 3 : 4]);
        }
    }
    assert_int_equal(running, 2);
    /* the loss stays output n_user_outputs */
    assert_ptr_equal(g->outputs[ti->n_user_outputs], g->loss);
    ctx_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_joint_graph),
        cmocka_unit_test(test_uses_summed),
        cmocka_unit_test(test_missing_rule_is_located_error),
        cmocka_unit_test(test_frozen_and_unused_params),
        cmocka_unit_test(test_bad_optimizer),
        cmocka_unit_test(test_loss_kind_adds_target),
        cmocka_unit_test(test_batchnorm_dropout_training_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
