/*
 * test_plan.c: the memory planner on hand-built and random graphs.
 *
 * The checker recomputes every storage block's live range from the graph
 * alone and asserts the planner's promises: blocks that are live at the same
 * time never share bytes, offsets are 64-byte aligned, everything fits in
 * arena_bytes, and arena_bytes >= lower_bound.
 */
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
    t->c.opt_level = 1;
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

static Node *node1(Graph *g, OpKind op, Value *a) { return graph_add_node(g, op, &a, 1, 1); }

static Node *node2(Graph *g, OpKind op, Value *a, Value *b) {
    Value *in[2] = {a, b};
    return graph_add_node(g, op, in, 2, 1);
}

static bool run_plan(T *t) { return pass_shape(t->g, &t->c) && pass_plan(t->g, &t->c); }

static const Value *storage(const Value *v) { return v->alias ? v->alias : v; }

/* Checks the planner's promises; in_place allows an output to start in the
 * bytes of a block that dies at the output's defining node. */
static void check_plan(Graph *g, bool in_place) {
    Plan *p = plan_of(g);
    assert_non_null(p);
    int n = g->n_nodes, nv = g->n_values;
    int *first = calloc((size_t)nv, sizeof(int)), *last = calloc((size_t)nv, sizeof(int));
    for (int i = 0; i < nv; i++)
        first[i] = last[i] = -1;
    for (int i = 0; i < n; i++) {
        const Node *nd = g->nodes[i];
        for (int j = 0; j < nd->n_out; j++) {
            const Value *v = nd->out[j];
            if (v->offset < 0)
                continue;
            assert_int_equal(v->offset % 64, 0);
            assert_true(v->offset + (int64_t)value_bytes(v) <= p->arena_bytes);
            assert_int_equal(storage(v)->offset, v->offset);
            const Value *r = storage(v);
            if (first[r->id] < 0)
                first[r->id] = last[r->id] = i;
        }
        for (int j = 0; j < nd->n_in; j++)
            if (nd->in[j] && nd->in[j]->offset >= 0) {
                const Value *r = storage(nd->in[j]);
                if (last[r->id] < i)
                    last[r->id] = i;
            }
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i]->offset >= 0)
            last[storage(g->outputs[i])->id] = n;
    int64_t peak = 0;
    for (int time = 0; time <= n; time++) {
        int64_t live = time < n && p->scratch_bytes ? (int64_t)p->scratch_bytes[time] : 0;
        for (int a = 0; a < nv; a++)
            if (first[a] >= 0 && first[a] <= time && time <= last[a])
                live += (int64_t)value_bytes(g->values[a]);
        if (live > peak)
            peak = live;
    }
    if (!in_place) /* in place, an input and its output count once */
        assert_true(p->lower_bound >= peak);
    assert_true(p->arena_bytes >= p->lower_bound);
    assert_true(p->sum_bytes >= p->lower_bound);
    for (int a = 0; a < nv; a++)
        for (int b = a + 1; b < nv; b++) {
            if (first[a] < 0 || first[b] < 0)
                continue;
            if (first[a] > last[b] || first[b] > last[a])
                continue; /* not live at the same time */
            if (in_place && (last[a] == first[b] || last[b] == first[a]))
                continue;
            const Value *va = g->values[a], *vb = g->values[b];
            int64_t a0 = va->offset, a1 = a0 + (int64_t)value_bytes(va);
            int64_t b0 = vb->offset, b1 = b0 + (int64_t)value_bytes(vb);
            if (a1 > a0 && b1 > b0 && a0 < b1 && b0 < a1)
                fail_msg("'%s' [%lld,%lld) and '%s' [%lld,%lld) overlap", va->name, (long long)a0, (long long)a1,
                         vb->name, (long long)b0, (long long)b1);
        }
    for (int i = 0; i < n && p->scratch_off; i++) {
        if (p->scratch_off[i] < 0)
            continue;
        assert_int_equal(p->scratch_off[i] % 64, 0);
        int64_t s0 = p->scratch_off[i], s1 = s0 + (int64_t)p->scratch_bytes[i];
        assert_true(s1 <= p->arena_bytes);
        for (int a = 0; a < nv; a++)
            if (first[a] >= 0 && first[a] <= i && i <= last[a]) {
                int64_t a0 = g->values[a]->offset, a1 = a0 + (int64_t)value_bytes(g->values[a]);
                assert_false(a0 < s1 && s0 < a1);
            }
    }
    free(first);
    free(last);
}

static void test_chain_reuses_memory(void **state) {
    T *t = *state;
    int64_t d[] = {1000};
    Value *v = graph_add_input(t->g, "x", DT_F32, 1, d);
    for (int i = 0; i < 8; i++)
        v = node1(t->g, i % 2 ? OP_EXP : OP_RELU, v)->out[0];
    graph_add_output(t->g, v);
    assert_true(run_plan(t));
    Plan *p = plan_of(t->g);
    check_plan(t->g, false);
    assert_int_equal(p->sum_bytes, 8 * 4000);
    assert_int_equal(p->lower_bound, 2 * 4000);
    assert_int_equal(p->arena_bytes, 2 * 4032); /* ping-pong between two blocks */
    assert_int_equal(t->g->inputs[0]->offset, -1);
}

static void test_chain_in_place(void **state) {
    T *t = *state;
    t->c.opt_level = 2;
    int64_t d[] = {1000};
    Value *v = graph_add_input(t->g, "x", DT_F32, 1, d);
    Node *first = NULL;
    for (int i = 0; i < 8; i++) {
        Node *n = node1(t->g, i % 2 ? OP_EXP : OP_RELU, v);
        first = first ? first : n;
        v = n->out[0];
    }
    graph_add_output(t->g, v);
    assert_true(run_plan(t));
    check_plan(t->g, true);
    Plan *p = plan_of(t->g);
    assert_int_equal(p->arena_bytes, 4032);
    assert_int_equal(v->offset, first->out[0]->offset);
}

static void test_in_place_needs_death(void **state) {
    T *t = *state;
    t->c.opt_level = 2;
    int64_t d[] = {100};
    Value *x = graph_add_input(t->g, "x", DT_F32, 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    Node *b = node1(t->g, OP_EXP, a->out[0]);       /* a still used below */
    Node *c = node2(t->g, OP_ADD, a->out[0], b->out[0]);
    graph_add_output(t->g, c->out[0]);
    assert_true(run_plan(t));
    check_plan(t->g, true);
    assert_int_not_equal(a->out[0]->offset, b->out[0]->offset);
    /* c may take a's bytes: both a and b die at c. */
    assert_int_equal(c->out[0]->offset, a->out[0]->offset);
}

static void test_alias(void **state) {
    T *t = *state;
    int64_t d[] = {256};
    Value *x = graph_add_input(t->g, "x", DT_F32, 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    Node *id = node1(t->g, OP_IDENTITY, a->out[0]);
    Node *b = node1(t->g, OP_EXP, id->out[0]);
    Node *c = node1(t->g, OP_EXP, b->out[0]);
    graph_add_output(t->g, c->out[0]);
    assert_true(run_plan(t));
    check_plan(t->g, false);
    assert_ptr_equal(id->out[0]->alias, a->out[0]);
    assert_int_equal(id->out[0]->offset, a->out[0]->offset);
    assert_null(a->out[0]->alias);
    /* a's bytes are live until b reads them through the alias. */
    assert_int_not_equal(b->out[0]->offset, a->out[0]->offset);
    /* an Identity of a graph input is a real copy. */
    assert_int_equal(x->offset, -1);
}

static void test_outputs_live_to_end(void **state) {
    T *t = *state;
    int64_t d[] = {64};
    Value *x = graph_add_input(t->g, "x", DT_F32, 1, d);
    Node *a = node1(t->g, OP_RELU, x);
    graph_add_output(t->g, a->out[0]);
    Value *v = a->out[0];
    for (int i = 0; i < 4; i++)
        v = node1(t->g, OP_EXP, v)->out[0];
    graph_add_output(t->g, v);
    assert_true(run_plan(t));
    check_plan(t->g, false);
    for (int i = 1; i < t->g->n_nodes; i++)
        assert_int_not_equal(t->g->nodes[i]->out[0]->offset, a->out[0]->offset);
}

static void test_folded_values_not_in_arena(void **state) {
    T *t = *state;
    int64_t d[] = {2};
    float av[] = {1, 2};
    Value *k = graph_add_const(t->g, "k", DT_F32, 1, d, av);
    Node *e = node1(t->g, OP_NEG, k);
    Node *m = node2(t->g, OP_MUL, graph_add_input(t->g, "x", DT_F32, 1, d), e->out[0]);
    graph_add_output(t->g, m->out[0]);
    assert_true(run_plan(t));
    assert_non_null(e->out[0]->data);
    assert_int_equal(e->out[0]->offset, -1);
    assert_int_equal(m->out[0]->offset, 0);
    assert_int_equal(plan_of(t->g)->arena_bytes, 64);
}

static void test_train_params_persistent(void **state) {
    T *t = *state;
    t->c.train = true;
    int64_t d[] = {10};
    float w[10] = {0};
    Value *x = graph_add_input(t->g, "x", DT_F32, 1, d);
    Value *p1 = graph_add_param(t->g, "w1", DT_F32, 1, d, w);
    Value *p2 = graph_add_param(t->g, "w2", DT_F32, 1, d, w);
    Node *a = node2(t->g, OP_MUL, x, p1);
    Node *b = node2(t->g, OP_ADD, a->out[0], p2);
    graph_add_output(t->g, b->out[0]);
    Value *moment = graph_add_value(t->g, "m1", VK_CONST, DT_F32, 1, d); /* e.g. an optimizer moment */
    plan_keep_persistent(t->g, moment);
    assert_true(run_plan(t));
    Plan *p = plan_of(t->g);
    assert_null(a->out[0]->data); /* parameters are not constants when training */
    assert_int_equal(p1->offset, 0);
    assert_int_equal(p2->offset, 64);
    assert_int_equal(moment->offset, 128);
    assert_int_equal(p->persistent_bytes, 192);
    assert_true(a->out[0]->offset >= 192);
    assert_true(b->out[0]->offset >= 192);
    check_plan(t->g, false);
}

/* Random DAGs of elementwise ops over a few tensor sizes. */
static void test_random_graphs(void **state) {
    (void)state;
    unsigned seed = 12345;
    for (int round = 0; round < 60; round++) {
        Ctx c;
        ctx_init(&c);
        c.opt_level = round % 3 == 2 ? 2 : 1;
        Graph *g = graph_new(c.arena, "rand");
        Value *vals[200];
        int64_t len[200];
        int nv = 0;
        int64_t sizes[] = {1, 7, 100, 1000, 4096, 33};
        for (int i = 0; i < 4; i++) {
            int64_t d = sizes[(unsigned)(round + i) % 6];
            len[nv] = d;
            vals[nv++] = graph_add_input(g, NULL, DT_F32, 1, &d);
        }
        int n_nodes = 5 + round % 40;
        for (int i = 0; i < n_nodes; i++) {
            seed = seed * 1103515245u + 12345u;
            int ia = (int)((seed >> 8) % (unsigned)nv);
            Value *a = vals[ia];
            unsigned kind = (seed >> 20) % 5;
            Node *nd;
            if (kind == 0) {
                Value *b = a;
                for (int k = nv - 1; k >= 0; k--)
                    if (k != ia && len[k] == len[ia] && ((seed >> 4) & 1)) {
                        b = vals[k];
                        break;
                    }
                nd = node2(g, OP_ADD, a, b);
            } else {
                OpKind ops[] = {OP_RELU, OP_EXP, OP_IDENTITY, OP_SIGMOID};
                nd = node1(g, ops[kind - 1], a);
            }
            len[nv] = len[ia];
            vals[nv++] = nd->out[0];
            if (((seed >> 12) & 7) == 0)
                graph_add_output(g, nd->out[0]);
        }
        graph_add_output(g, vals[nv - 1]);
        if (!pass_shape(g, &c) || !pass_plan(g, &c)) {
            diag_print(&c, stderr);
            fail();
        }
        check_plan(g, c.opt_level >= 2);
        assert_true(plan_of(g)->arena_bytes <= plan_of(g)->sum_bytes + 64 * (g->n_nodes + 1));
        ctx_free(&c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_reuses_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_place_needs_death, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs_live_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folded_values_not_in_arena, setup, teardown),
        cmocka_unit_test_setup_teardown(test_train_params_persistent, setup, teardown),
        cmocka_unit_test(test_random_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
