/*
 * test_onnx_reader.c: the ONNX frontend (frontend/onnx*.c) on models built
 * in memory.
 *
 * Each test fills Onnx__ModelProto structs with the small builders below
 * (allocations are kept in a list and freed after each test), packs them
 * with protobuf-c and loads the bytes with onnx_load_buffer.  Covered:
 * initializers in every typed field and in raw_data, external data and the
 * checks on its path, attribute kinds and subgraphs, Constant nodes becoming
 * constants, symbolic dims, all unsupported operators reported at once, and
 * truncated or garbage input failing cleanly.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/frontend.h"
#include "onnx.pb-c.h"

/* ---------------------------------------------------------------- allocation */

static void **allocs;
static size_t n_allocs, cap_allocs;

static void *talloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    assert_non_null(p);
    if (n_allocs == cap_allocs) {
        cap_allocs = cap_allocs ? 2 * cap_allocs : 64;
        allocs = realloc(allocs, cap_allocs * sizeof *allocs);
        assert_non_null(allocs);
    }
    allocs[n_allocs++] = p;
    return p;
}

static int free_all(void **state) {
    (void)state;
    for (size_t i = 0; i < n_allocs; i++)
        free(allocs[i]);
    free(allocs);
    allocs = NULL;
    n_allocs = cap_allocs = 0;
    return 0;
}

static char *tstr(const char *s) {
    char *p = talloc(strlen(s) + 1);
    strcpy(p, s);
    return p;
}

static void *tdup(const void *p, size_t n) {
    void *q = talloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

/* A NULL-terminated list of names as a protobuf string array. */
static char **tnames(size_t *n, const char *const *names) {
    size_t k = 0;
    while (names[k])
        k++;
    char **p = talloc(sizeof(char *) * (k + 1));
    for (size_t i = 0; i < k; i++)
        p[i] = tstr(names[i]);
    *n = k;
    return p;
}

/* ---------------------------------------------------------------- builders */

/* A tensor value info: dims >= 0 are values, -1 takes the name from params
 * (NULL there: neither value nor param). */
static Onnx__ValueInfoProto *vinfo(const char *name, int elem, int rank, const int64_t *dims,
                                   const char *const *params) {
    Onnx__ValueInfoProto *vi = talloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = tstr(name);
    Onnx__TypeProto *tp = talloc(sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = talloc(sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    Onnx__TensorShapeProto *sh = talloc(sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)rank;
    sh->dim = talloc(sizeof(void *) * (size_t)(rank + 1));
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = talloc(sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else if (params && params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = tstr(params[i]);
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

static Onnx__ValueInfoProto *vinfo_f32(const char *name, int64_t d0, int64_t d1) {
    int64_t dims[2] = {d0, d1};
    return vinfo(name, DT_F32, 2, dims, NULL);
}

static Onnx__TensorProto *tensor(const char *name, int dt, int rank, const int64_t *dims) {
    Onnx__TensorProto *t = talloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = tstr(name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)rank;
    t->dims = tdup(dims, sizeof(int64_t) * (size_t)rank);
    return t;
}

static Onnx__NodeProto *node(const char *op, const char *name, const char *const *in, const char *const *out) {
    Onnx__NodeProto *n = talloc(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = tstr(op);
    n->name = tstr(name);
    n->input = tnames(&n->n_input, in);
    n->output = tnames(&n->n_output, out);
    n->attribute = talloc(sizeof(void *) * 16);
    return n;
}

static Onnx__AttributeProto *attr(Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType type) {
    Onnx__AttributeProto *a = talloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}


static Onnx__GraphProto *graph(const char *name) {
    Onnx__GraphProto *g = talloc(sizeof *g);
    onnx__graph_proto__init(g);
    g->name = tstr(name);
    g->node = talloc(sizeof(void *) * 32);
    g->initializer = talloc(sizeof(void *) * 32);
    g->input = talloc(sizeof(void *) * 32);
    g->output = talloc(sizeof(void *) * 32);
    return g;
}

static void add_node(Onnx__GraphProto *g, Onnx__NodeProto *n) { g->node[g->n_node++] = n; }
static void add_init(Onnx__GraphProto *g, Onnx__TensorProto *t) { g->initializer[g->n_initializer++] = t; }
static void add_input(Onnx__GraphProto *g, Onnx__ValueInfoProto *v) { g->input[g->n_input++] = v; }
static void add_output(Onnx__GraphProto *g, const char *name) {
    Onnx__ValueInfoProto *vi = talloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = tstr(name);
    g->output[g->n_output++] = vi;
}

/* Packs a model around g (ai.onnx opset 13); *len receives the size. */
static uint8_t *pack_model(Onnx__GraphProto *g, size_t *len) {
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__OperatorSetIdProto op = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *ops[1] = {&op};
    op.domain = tstr("");
    op.has_version = 1;
    op.version = 13;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = ops;
    m.graph = g;
    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = talloc(*len);
    onnx__model_proto__pack(&m, buf);
    return buf;
}

static Graph *load(Ctx *c, Onnx__GraphProto *g) {
    size_t len;
    uint8_t *buf = pack_model(g, &len);
    return onnx_load_buffer(c, "model.onnx", buf, len);
}

/* The printed diagnostics, in a talloc'd string. */
static char *diags_text(const Ctx *c) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    diag_print(c, f);
    fclose(f);
    char *r = tstr(text ? text : "");
    free(text);
    return r;
}

/* x + y -> z, the smallest valid model. */
static Onnx__GraphProto *add_graph(void) {
    Onnx__GraphProto *g = graph("add");
    add_input(g, vinfo_f32("x", 2, 3));
    add_input(g, vinfo_f32("y", 2, 3));
    add_node(g, node("Add", "add0", (const char *[]){"x", "y", NULL}, (const char *[]){"z", NULL}));
    add_output(g, "z");
    return g;
}

/* ---------------------------------------------------------------- tests */

static void test_basic_add(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    Graph *g = load(&c, add_graph());
    assert_non_null(g);
    assert_false(ctx_failed(&c));
    assert_int_equal(g->opset, 13);
    assert_int_equal(g->n_inputs, 2);
    assert_string_equal(g->inputs[0]->name, "x");
    assert_string_equal(g->inputs[1]->name, "y");
    assert_int_equal(g->inputs[0]->kind, VK_INPUT);
    assert_int_equal(g->inputs[0]->dtype, DT_F32);
    assert_int_equal(g->inputs[0]->rank, 2);
    assert_int_equal(g->inputs[0]->dims[1], 3);
    assert_int_equal(g->n_nodes, 1);
    Node *n = g->nodes[0];
    assert_int_equal(n->op, op_lookup("", "Add"));
    assert_int_equal(n->opset, 13);
    assert_string_equal(n->name, "add0");
    assert_string_equal(n->loc.node_name, "add0");
    assert_string_equal(n->loc.op_type, "Add");
    assert_string_equal(n->loc.file, "model.onnx");
    assert_ptr_equal(n->in[0], g->inputs[0]);
    assert_ptr_equal(n->in[1], g->inputs[1]);
    assert_int_equal(g->n_outputs, 1);
    assert_ptr_equal(g->outputs[0], n->out[0]);
    assert_string_equal(n->out[0]->name, "z");
    assert_ptr_equal(n->out[0]->def, n);
    ctx_free(&c);
}

static void test_initializers(void **state) {
    (void)state;
    Onnx__GraphProto *g = add_graph();
    int64_t d3[1] = {3}, d2[1] = {2}, d5[1] = {5};

    Onnx__TensorProto *t = tensor("f32_typed", DT_F32, 1, d3);
    t->n_float_data = 3;
    t->float_data = tdup((float[]){1.5f, -2, 3}, 3 * sizeof(float));
    add_init(g, t);

    t = tensor("f32_raw", DT_F32, 1, d2);
    float raw[2] = {4.25f, -8};
    t->has_raw_data = 1;
    t->raw_data.len = sizeof raw;
    t->raw_data.data = tdup(raw, sizeof raw);
    add_init(g, t);

    t = tensor("i64", DT_I64, 1, d2);
    t->n_int64_data = 2;
    t->int64_data = tdup((int64_t[]){-7, 1LL << 40}, 2 * sizeof(int64_t));
    add_init(g, t);

    t = tensor("f16", DT_F16, 1, d2);
    t->n_int32_data = 2;
    t->int32_data = tdup((int32_t[]){0x3c00, 0xc000}, 2 * sizeof(int32_t)); /* 1.0, -2.0 */
    add_init(g, t);

    t = tensor("b", DT_BOOL, 1, d3);
    t->n_int32_data = 3;
    t->int32_data = tdup((int32_t[]){1, 0, 1}, 3 * sizeof(int32_t));
    add_init(g, t);

    t = tensor("i8", DT_I8, 1, d2);
    t->n_int32_data = 2;
    t->int32_data = tdup((int32_t[]){-5, 100}, 2 * sizeof(int32_t));
    add_init(g, t);

    t = tensor("f64", DT_F64, 1, d2);
    t->n_double_data = 2;
    t->double_data = tdup((double[]){0.1, -1e300}, 2 * sizeof(double));
    add_init(g, t);

    t = tensor("u32", DT_U32, 1, d2);
    t->n_uint64_data = 2;
    t->uint64_data = tdup((uint64_t[]){4000000000u, 7}, 2 * sizeof(uint64_t));
    add_init(g, t);

    t = tensor("s", DT_STRING, 1, d2);
    t->n_string_data = 2;
    t->string_data = talloc(2 * sizeof(ProtobufCBinaryData));
    t->string_data[0] = (ProtobufCBinaryData){5, (uint8_t *)tstr("hello")};
    t->string_data[1] = (ProtobufCBinaryData){0, (uint8_t *)tstr("")};
    add_init(g, t);

    /* int4: five elements packed low nibble first: 1, -1, 7, -8, 3 */
    t = tensor("i4_typed", DT_I4, 1, d5);
    t->n_int32_data = 3;
    t->int32_data = tdup((int32_t[]){0xF1, 0x87, 0x03}, 3 * sizeof(int32_t));
    add_init(g, t);
    t = tensor("u4_raw", DT_U4, 1, d5);
    t->has_raw_data = 1;
    t->raw_data.len = 3;
    t->raw_data.data = tdup((uint8_t[]){0xF1, 0x87, 0x03}, 3);
    add_init(g, t);

    /* listed as a graph input too: stays a constant, not an input */
    t = tensor("dflt", DT_F32, 1, d2);
    t->n_float_data = 2;
    t->float_data = tdup((float[]){1, 2}, 2 * sizeof(float));
    add_init(g, t);
    add_input(g, vinfo("dflt", DT_F32, 1, d2, NULL));

    Ctx c;
    ctx_init(&c);
    Graph *r = load(&c, g);
    assert_non_null(r);
    assert_int_equal(r->n_inputs, 2);
    assert_int_equal(r->n_params, 0);

    Value *v = graph_find_value(r, "f32_typed");
    assert_non_null(v);
    assert_int_equal(v->kind, VK_CONST);
    assert_int_equal(v->rank, 1);
    assert_int_equal(v->dims[0], 3);
    assert_true(((const float *)v->data)[0] == 1.5f && ((const float *)v->data)[1] == -2.0f);

    v = graph_find_value(r, "f32_raw");
    assert_true(((const float *)v->data)[0] == 4.25f && ((const float *)v->data)[1] == -8.0f);

    v = graph_find_value(r, "i64");
    assert_int_equal(((const int64_t *)v->data)[0], -7);
    assert_int_equal(((const int64_t *)v->data)[1], 1LL << 40);

    v = graph_find_value(r, "f16");
    assert_int_equal(v->dtype, DT_F16);
    assert_int_equal(((const uint16_t *)v->data)[0], 0x3c00);
    assert_true(data_get_f64(DT_F16, v->data, 1) == -2.0);

    v = graph_find_value(r, "b");
    assert_memory_equal(v->data, ((uint8_t[]){1, 0, 1}), 3);

    v = graph_find_value(r, "i8");
    assert_int_equal(((const int8_t *)v->data)[0], -5);
    assert_int_equal(((const int8_t *)v->data)[1], 100);

    v = graph_find_value(r, "f64");
    assert_true(((const double *)v->data)[1] == -1e300);

    v = graph_find_value(r, "u32");
    assert_int_equal(((const uint32_t *)v->data)[0], 4000000000u);

    v = graph_find_value(r, "s");
    assert_int_equal(v->dtype, DT_STRING);
    assert_string_equal(((const char *const *)v->data)[0], "hello");
    assert_string_equal(((const char *const *)v->data)[1], "");

    v = graph_find_value(r, "i4_typed");
    assert_memory_equal(v->data, ((int8_t[]){1, -1, 7, -8, 3}), 5);
    v = graph_find_value(r, "u4_raw");
    assert_memory_equal(v->data, ((uint8_t[]){1, 15, 7, 8, 3}), 5);

    v = graph_find_value(r, "dflt");
    assert_int_equal(v->kind, VK_CONST);
    ctx_free(&c);
}

static void test_initializer_size_mismatch(void **state) {
    (void)state;
    Onnx__GraphProto *g = add_graph();
    int64_t d[1] = {4};
    Onnx__TensorProto *t = tensor("w", DT_F32, 1, d);
    t->has_raw_data = 1;
    t->raw_data.len = 8;
    t->raw_data.data = talloc(8);
    add_init(g, t);
    Ctx c;
    ctx_init(&c);
    assert_null(load(&c, g));
    assert_non_null(strstr(diags_text(&c), "initializer 'w': raw_data has 8 bytes, the shape needs 16"));
    ctx_free(&c);
}

static void test_train_params(void **state) {
    (void)state;
    Onnx__GraphProto *g = add_graph();
    int64_t d[1] = {2};
    const char *names[] = {"w", "frozen", "idx"};
    for (int i = 0; i < 3; i++) {
        Onnx__TensorProto *t = tensor(names[i], i == 2 ? DT_I64 : DT_F32, 1, d);
        if (i == 2) {
            t->n_int64_data = 2;
            t->int64_data = talloc(2 * sizeof(int64_t));
        } else {
            t->n_float_data = 2;
            t->float_data = talloc(2 * sizeof(float));
        }
        add_init(g, t);
    }
    Ctx c;
    ctx_init(&c);
    const char *freeze[] = {"frozen"};
    c.train = true;
    c.freeze = freeze;
    c.n_freeze = 1;
    Graph *r = load(&c, g);
    assert_non_null(r);
    assert_int_equal(r->n_params, 1);
    assert_string_equal(r->params[0]->name, "w");
    Value *f = graph_find_value(r, "frozen");
    assert_int_equal(f->kind, VK_CONST);
    assert_true(f->frozen);
    assert_int_equal(graph_find_value(r, "idx")->kind, VK_CONST);
    ctx_free(&c);
}

static void test_attributes_and_subgraph(void **state) {
    (void)state;
    Onnx__GraphProto *g = add_graph();
    Onnx__NodeProto *n = node("Relu", "r", (const char *[]){"z", NULL}, (const char *[]){"out", NULL});
    Onnx__AttributeProto *a;
    a = attr(n, "f", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 0.5f;
    a = attr(n, "i", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = -3;
    a = attr(n, "s", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s = (ProtobufCBinaryData){4, (uint8_t *)tstr("SAME")};
    a = attr(n, "fs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = 2;
    a->floats = tdup((float[]){1, 2.5f}, 2 * sizeof(float));
    a = attr(n, "is", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 3;
    a->ints = tdup((int64_t[]){1, 2, 3}, 3 * sizeof(int64_t));
    a = attr(n, "ss", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = 2;
    a->strings = talloc(2 * sizeof(ProtobufCBinaryData));
    a->strings[0] = (ProtobufCBinaryData){1, (uint8_t *)tstr("a")};
    a->strings[1] = (ProtobufCBinaryData){2, (uint8_t *)tstr("bc")};
    int64_t d2[1] = {2};
    a = attr(n, "t", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = tensor("", DT_I64, 1, d2);
    a->t->n_int64_data = 2;
    a->t->int64_data = tdup((int64_t[]){9, 8}, 2 * sizeof(int64_t));
    a = attr(n, "ts", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS);
    a->n_tensors = 1;
    a->tensors = talloc(sizeof(void *));
    a->tensors[0] = tensor("tt", DT_F32, 0, d2);
    a->tensors[0]->n_float_data = 1;
    a->tensors[0]->float_data = tdup((float[]){7}, sizeof(float));
    /* a subgraph that reads the outer value x */
    Onnx__GraphProto *body = graph("body");
    add_node(body, node("Neg", "neg", (const char *[]){"x", NULL}, (const char *[]){"nx", NULL}));
    add_output(body, "nx");
    a = attr(n, "g", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = body;
    Onnx__GraphProto *body2 = graph("body2");
    add_output(body2, "y");
    a = attr(n, "gs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS);
    a->n_graphs = 1;
    a->graphs = talloc(sizeof(void *));
    a->graphs[0] = body2;
    /* an old-style attribute without a type */
    a = attr(n, "untyped", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
    a->has_type = 0;
    a->has_i = 1;
    a->i = 42;
    add_node(g, n);
    g->output[0]->name = tstr("out");

    Ctx c;
    ctx_init(&c);
    Graph *r = load(&c, g);
    if (!r)
        diag_print(&c, stderr);
    assert_non_null(r);
    Node *rn = r->nodes[1];
    assert_int_equal(rn->n_attrs, 11);
    assert_true(attr_float(rn, "f", 0) == 0.5);
    assert_int_equal(attr_int(rn, "i", 0), -3);
    assert_string_equal(attr_string(rn, "s", NULL), "SAME");
    assert_int_equal(node_attr(rn, "s")->s_len, 4);
    const Attr *at = node_attr(rn, "fs");
    assert_int_equal(at->kind, AT_FLOATS);
    assert_int_equal(at->n, 2);
    assert_true(at->floats[1] == 2.5);
    int64_t ints[4];
    assert_int_equal(attr_ints(rn, "is", ints, 4), 3);
    assert_int_equal(ints[2], 3);
    at = node_attr(rn, "ss");
    assert_int_equal(at->kind, AT_STRINGS);
    assert_string_equal(at->strings[1], "bc");
    at = node_attr(rn, "t");
    assert_int_equal(at->kind, AT_TENSOR);
    assert_int_equal(at->t->kind, VK_CONST);
    assert_int_equal(at->t->dtype, DT_I64);
    assert_int_equal(((const int64_t *)at->t->data)[1], 8);
    assert_null(graph_find_value(r, "t")); /* not added to the graph */
    at = node_attr(rn, "ts");
    assert_int_equal(at->kind, AT_TENSORS);
    assert_int_equal(at->n, 1);
    assert_true(((const float *)at->ts[0]->data)[0] == 7.0f);
    at = node_attr(rn, "g");
    assert_int_equal(at->kind, AT_GRAPH);
    Graph *sub = at->g;
    assert_ptr_equal(sub->parent, r);
    assert_int_equal(sub->n_nodes, 1);
    assert_ptr_equal(sub->nodes[0]->in[0], r->inputs[0]); /* outer-scope name */
    assert_ptr_equal(sub->outputs[0], sub->nodes[0]->out[0]);
    at = node_attr(rn, "gs");
    assert_int_equal(at->kind, AT_GRAPHS);
    assert_ptr_equal(at->gs[0]->outputs[0], r->inputs[1]);
    assert_int_equal(attr_int(rn, "untyped", 0), 42);
    ctx_free(&c);
}

static void test_constant_nodes(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("consts");
    add_input(g, vinfo_f32("x", 2, 3));
    int64_t d3[1] = {3};
    Onnx__NodeProto *k = node("Constant", "k", (const char *[]){NULL}, (const char *[]){"kv", NULL});
    Onnx__AttributeProto *a = attr(k, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = tensor("", DT_F32, 1, d3);
    a->t->n_float_data = 3;
    a->t->float_data = tdup((float[]){1, 2, 3}, 3 * sizeof(float));
    add_node(g, k);
    Onnx__NodeProto *k2 = node("Constant", "k2", (const char *[]){NULL}, (const char *[]){"ints", NULL});
    a = attr(k2, "value_ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = 2;
    a->ints = tdup((int64_t[]){6, 1}, 2 * sizeof(int64_t));
    add_node(g, k2);
    Onnx__NodeProto *k3 = node("Constant", "k3", (const char *[]){NULL}, (const char *[]){"flt", NULL});
    a = attr(k3, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 2.5f;
    add_node(g, k3);
    add_node(g, node("Add", "add", (const char *[]){"x", "kv", NULL}, (const char *[]){"y", NULL}));
    add_output(g, "y");
    add_output(g, "ints");

    Ctx c;
    ctx_init(&c);
    Graph *r = load(&c, g);
    assert_non_null(r);
    assert_int_equal(r->n_nodes, 1);
    Value *kv = r->nodes[0]->in[1];
    assert_string_equal(kv->name, "kv");
    assert_int_equal(kv->kind, VK_CONST);
    assert_int_equal(kv->rank, 1);
    assert_true(((const float *)kv->data)[2] == 3.0f);
    Value *iv = r->outputs[1];
    assert_int_equal(iv->kind, VK_CONST);
    assert_int_equal(iv->dtype, DT_I64);
    assert_int_equal(iv->dims[0], 2);
    assert_int_equal(((const int64_t *)iv->data)[0], 6);
    Value *fv = graph_find_value(r, "flt");
    assert_int_equal(fv->rank, 0);
    assert_true(*(const float *)fv->data == 2.5f);
    ctx_free(&c);
}

static void test_symbolic_dims(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("sym");
    int64_t dims[3] = {-1, 4, -1};
    const char *params[3] = {"N", NULL, NULL};
    add_input(g, vinfo("x", DT_F32, 3, dims, params));
    add_node(g, node("Relu", "", (const char *[]){"x", NULL}, (const char *[]){"y", NULL}));
    add_output(g, "y");
    Ctx c;
    ctx_init(&c);
    Graph *r = load(&c, g);
    assert_non_null(r);
    Value *x = r->inputs[0];
    assert_int_equal(x->rank, 3);
    assert_string_equal(x->sym[0], "N");
    assert_int_equal(x->dims[0], -1);
    assert_null(x->sym[1]);
    assert_int_equal(x->dims[1], 4);
    assert_string_equal(x->sym[2], "unk__0");
    assert_int_equal(x->dims[2], -1);
    assert_non_null(r->nodes[0]->name); /* unnamed node gets a name */
    ctx_free(&c);
}

static void test_unsupported_ops_all_reported(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("bad");
    add_input(g, vinfo_f32("x", 2, 3));
    add_node(g, node("FancyOp", "first", (const char *[]){"x", NULL}, (const char *[]){"a", NULL}));
    add_node(g, node("Relu", "ok", (const char *[]){"a", NULL}, (const char *[]){"b", NULL}));
    add_node(g, node("OtherOp", "second", (const char *[]){"b", NULL}, (const char *[]){"c", NULL}));
    add_output(g, "c");
    Ctx c;
    ctx_init(&c);
    assert_null(load(&c, g));
    assert_int_equal(c.n_errors, 2);
    char *text = diags_text(&c);
    assert_non_null(strstr(text, "model.onnx: node 'first' (FancyOp): error: unsupported operator\n"));
    assert_non_null(strstr(text, "model.onnx: node 'second' (OtherOp): error: unsupported operator\n"));
    ctx_free(&c);
}

/* An attribute the operator does not have is a warning (ONNX's checker
 * rejects it; ONNX files from lenient exporters still compile), a known one
 * is silent. */
static void test_unknown_attribute_warns(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("attrs");
    add_input(g, vinfo_f32("x", 2, 3));
    Onnx__NodeProto *n = node("LeakyRelu", "lr", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    Onnx__AttributeProto *a = attr(n, "alpah", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 0.5f;
    a = attr(n, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = 0.25f;
    add_node(g, n);
    add_output(g, "y");
    Ctx c;
    ctx_init(&c);
    assert_non_null(load(&c, g));
    assert_int_equal(c.n_errors, 0);
    char *text = diags_text(&c);
    assert_non_null(strstr(text, "node 'lr' (LeakyRelu): warning: LeakyRelu has no attribute 'alpah'"));
    assert_null(strstr(text, "'alpha' ("));
    ctx_free(&c);
}

static void test_undefined_input(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("undef");
    add_input(g, vinfo_f32("x", 2, 3));
    add_node(g, node("Add", "a1", (const char *[]){"x", "nope", NULL}, (const char *[]){"y", NULL}));
    add_output(g, "y");
    Ctx c;
    ctx_init(&c);
    assert_null(load(&c, g));
    assert_non_null(strstr(diags_text(&c), "node 'a1' (Add): error: input 'nope' is not defined"));
    ctx_free(&c);
}

static void test_optional_inputs_and_outputs(void **state) {
    (void)state;
    Onnx__GraphProto *g = graph("opt");
    add_input(g, vinfo_f32("x", 2, 3));
    /* Clip(x, "", max): a skipped middle input; Dropout with an unnamed mask */
    int64_t d0[1] = {0};
    Onnx__TensorProto *t = tensor("mx", DT_F32, 0, d0);
    t->n_float_data = 1;
    t->float_data = tdup((float[]){6}, sizeof(float));
    add_init(g, t);
    add_node(g, node("Clip", "clip", (const char *[]){"x", "", "mx", NULL}, (const char *[]){"y", NULL}));
    add_node(g, node("Dropout", "drop", (const char *[]){"y", "", NULL}, (const char *[]){"z", "", NULL}));
    add_output(g, "z");
    Ctx c;
    ctx_init(&c);
    Graph *r = load(&c, g);
    assert_non_null(r);
    Node *clip = r->nodes[0];
    assert_int_equal(clip->n_in, 3);
    assert_null(clip->in[1]);
    assert_string_equal(clip->in[2]->name, "mx");
    Node *drop = r->nodes[1];
    assert_int_equal(drop->n_in, 1); /* trailing "" dropped */
    assert_int_equal(drop->n_out, 2);
    assert_non_null(drop->out[1]);
    assert_true(strcmp(drop->out[1]->name, "") != 0);
    ctx_free(&c);
}

static void test_garbage_and_truncated(void **state) {
    (void)state;
    size_t len;
    uint8_t *buf = pack_model(add_graph(), &len);
    /* every prefix: either a clean error or a graph, never a crash */
    for (size_t n = 0; n < len; n++) {
        Ctx c;
        ctx_init(&c);
        Graph *r = onnx_load_buffer(&c, "model.onnx", buf, n);
        assert_true(r != NULL || ctx_failed(&c));
        ctx_free(&c);
    }
    Ctx c;
    ctx_init(&c);
    assert_null(onnx_load_buffer(&c, "model.onnx", buf, len / 2));
    assert_non_null(strstr(diags_text(&c), "model.onnx: error: not a valid ONNX model"));
    ctx_free(&c);

    uint8_t junk[256];
    srand(1);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)rand();
        ctx_init(&c);
        Graph *r = onnx_load_buffer(&c, "junk.onnx", junk, sizeof junk);
        assert_true(r != NULL || ctx_failed(&c));
        ctx_free(&c);
    }
    const char *text = "this is not a model\n";
    ctx_init(&c);
    assert_null(onnx_load_buffer(&c, "text.onnx", (const uint8_t *)text, strlen(text)));
    assert_true(ctx_failed(&c));
    ctx_free(&c);
}

/* A model with one external initializer at `location`. */
static Onnx__GraphProto *external_graph(const char *location, int64_t n) {
    Onnx__GraphProto *g = add_graph();
    int64_t d[1] = {n};
    Onnx__TensorProto *t = tensor("w", DT_F32, 1, d);
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->n_external_data = 2;
    t->external_data = talloc(2 * sizeof(void *));
    const char *keys[2] = {"location", "offset"}, *vals[2] = {location, "4"};
    for (int i = 0; i < 2; i++) {
        Onnx__StringStringEntryProto *kv = talloc(sizeof *kv);
        onnx__string_string_entry_proto__init(kv);
        kv->key = tstr(keys[i]);
        kv->value = tstr(vals[i]);
        t->external_data[i] = kv;
    }
    add_init(g, t);
    return g;
}

static void test_external_data(void **state) {
    (void)state;
    char dir[] = "/tmp/dlcc-test-onnx-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char model[256], weights[256], outside[256], link[256], sub[256];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    snprintf(weights, sizeof weights, "%s/weights.bin", dir);
    snprintf(outside, sizeof outside, "%s-outside.bin", dir);
    snprintf(link, sizeof link, "%s/link.bin", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    float data[3] = {0, 1.5f, -2}; /* offset 4: the last two */
    FILE *f = fopen(weights, "wb");
    assert_non_null(f);
    fwrite(data, sizeof data, 1, f);
    fclose(f);
    f = fopen(outside, "wb");
    assert_non_null(f);
    fwrite(data, sizeof data, 1, f);
    fclose(f);
    assert_int_equal(symlink(outside, link), 0);
    assert_int_equal(mkdir(sub, 0700), 0);

    size_t len;
    Ctx c;
    /* inside the folder: read at the offset */
    ctx_init(&c);
    uint8_t *buf = pack_model(external_graph("weights.bin", 2), &len);
    Graph *r = onnx_load_buffer(&c, model, buf, len);
    if (!r)
        diag_print(&c, stderr);
    assert_non_null(r);
    Value *w = graph_find_value(r, "w");
    assert_true(((const float *)w->data)[0] == 1.5f && ((const float *)w->data)[1] == -2.0f);
    ctx_free(&c);

    /* longer than the file */
    ctx_init(&c);
    buf = pack_model(external_graph("weights.bin", 3), &len);
    assert_null(onnx_load_buffer(&c, model, buf, len));
    assert_non_null(strstr(diags_text(&c), "initializer 'w'"));
    ctx_free(&c);

    const char *bad[][2] = {
        {"../x.bin", "leaves the model's folder"},
        {"sub/../../x.bin", "leaves the model's folder"},
        {"/etc/passwd", "is absolute"},
        {"link.bin", "resolves outside the model's folder"},
        {"missing.bin", "cannot open external data file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ctx_init(&c);
        buf = pack_model(external_graph(bad[i][0], 2), &len);
        assert_null(onnx_load_buffer(&c, model, buf, len));
        char *text = diags_text(&c);
        if (!strstr(text, bad[i][1]))
            fprintf(stderr, "%s: unexpected message: %s", bad[i][0], text);
        assert_non_null(strstr(text, bad[i][1]));
        assert_non_null(strstr(text, "initializer 'w'"));
        ctx_free(&c);
    }
    unlink(link);
    unlink(weights);
    unlink(outside);
    rmdir(sub);
    rmdir(dir);
}

static void test_tensor_pb_roundtrip(void **state) {
    (void)state;
    char path[] = "/tmp/dlcc-test-pb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    Ctx c;
    ctx_init(&c);
    Graph *g = graph_new(c.arena, "t");
    int64_t dims[2] = {2, 3};
    float x[6] = {1, 2, 3, 4, 5, 6};
    assert_true(onnx_write_tensor_pb(path, "input_0", DT_F32, 2, dims, x));
    Value *v = onnx_load_tensor_pb(&c, g, path);
    assert_non_null(v);
    assert_string_equal(v->name, "input_0");
    assert_int_equal(v->kind, VK_CONST);
    assert_int_equal(v->rank, 2);
    assert_int_equal(v->dims[1], 3);
    assert_memory_equal(v->data, x, sizeof x);
    /* int4 packs and unpacks */
    int8_t q[3] = {-8, 7, -1};
    int64_t d3[1] = {3};
    assert_true(onnx_write_tensor_pb(path, "q", DT_I4, 1, d3, q));
    v = onnx_load_tensor_pb(&c, g, path);
    assert_non_null(v);
    assert_memory_equal(v->data, q, 3);
    /* a .pb that is not a tensor */
    FILE *f = fopen(path, "wb");
    fputs("\xff\xff\xff garbage", f);
    fclose(f);
    assert_null(onnx_load_tensor_pb(&c, g, path));
    assert_true(ctx_failed(&c));
    unlink(path);
    ctx_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_basic_add, free_all),
        cmocka_unit_test_teardown(test_initializers, free_all),
        cmocka_unit_test_teardown(test_initializer_size_mismatch, free_all),
        cmocka_unit_test_teardown(test_train_params, free_all),
        cmocka_unit_test_teardown(test_attributes_and_subgraph, free_all),
        cmocka_unit_test_teardown(test_constant_nodes, free_all),
        cmocka_unit_test_teardown(test_symbolic_dims, free_all),
        cmocka_unit_test_teardown(test_unsupported_ops_all_reported, free_all),
        cmocka_unit_test_teardown(test_undefined_input, free_all),
        cmocka_unit_test_teardown(test_optional_inputs_and_outputs, free_all),
        cmocka_unit_test_teardown(test_garbage_and_truncated, free_all),
        cmocka_unit_test_teardown(test_external_data, free_all),
        cmocka_unit_test_teardown(test_unknown_attribute_warns, free_all),
        cmocka_unit_test_teardown(test_tensor_pb_roundtrip, free_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
