/*
 * onnx_info.c: prints what the conformance runner needs to know about a model
 * without a Python ONNX package.
 *
 *   onnx_info MODEL.onnx [INPUT_0.pb ...]
 *
 * prints one line per graph input that has no initializer and per graph
 * output:  "input|output NAME KIND ELEM DIMS", where KIND is tensor, sequence,
 * map, optional, sparse or none, ELEM the element dtype code (0 if unknown)
 * and DIMS a comma list of numbers, dim_param names or '?' ("-" for a
 * scalar, "*" for an unknown rank).  Given the test's input .pb files (in the
 * same order as the inputs), it also prints "dim SYM=N" for every symbolic
 * dimension that an input's shape binds, which the runner passes to dlcc as
 * --dim SYM=N, and "opset N" for the default domain.  For a sequence or
 * optional input it prints "sequence NAME=SHAPE,SHAPE,..." (the items the
 * .pb file holds, as dlcc's --sequence takes them) or "absent NAME" (an
 * empty optional, dlcc's --absent).  Exit 1 on unreadable models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "tensor_io.h"

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *kind_name(const Onnx__TypeProto *t)
{
    if (!t)
        return "none";
    switch (t->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: return "tensor";
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "sparse";
    default: return "none";
    }
}

static void print_value(const char *what, const Onnx__ValueInfoProto *v)
{
    const Onnx__TypeProto *t = v->type;
    printf("%s %s %s ", what, v->name && *v->name ? v->name : "?", kind_name(t));
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type) {
        printf("0 *\n");
        return;
    }
    const Onnx__TypeProto__Tensor *tt = t->tensor_type;
    printf("%d ", tt->has_elem_type ? tt->elem_type : 0);
    if (!tt->shape) {
        printf("*\n");
        return;
    }
    if (tt->shape->n_dim == 0)
        printf("-");
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (i)
            putchar(',');
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            printf("%lld", (long long)d->dim_value);
        else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                 d->dim_param && *d->dim_param)
            printf("%s", d->dim_param);
        else
            putchar('?');
    }
    putchar('\n');
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return 1;
    return 0;
}

/* Prints "dim SYM=N" for the symbolic dims of input v bound by the .pb file. */
static void bind_dims(const Onnx__ValueInfoProto *v, const char *pb_path)
{
    const Onnx__TypeProto *t = v->type;
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type ||
        !t->tensor_type->shape)
        return;
    size_t len;
    uint8_t *buf = read_file(pb_path, &len);
    if (!buf)
        return;
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    if (!p)
        return;
    const Onnx__TensorShapeProto *s = t->tensor_type->shape;
    if (p->n_dims == s->n_dim)
        for (size_t i = 0; i < s->n_dim; i++)
            if (s->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                s->dim[i]->dim_param && *s->dim[i]->dim_param)
                printf("dim %s=%lld\n", s->dim[i]->dim_param, (long long)p->dims[i]);
    onnx__tensor_proto__free_unpacked(p, NULL);
}

/* "sequence NAME=2x3,4,()" or "absent NAME" for a sequence/optional input. */
static void bind_items(const Onnx__ValueInfoProto *v, const char *pb_path)
{
    const Onnx__TypeProto *t = v->type;
    int kind = t->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? TIO_SEQUENCE : TIO_OPTIONAL;
    static TioValue val;
    char err[256];
    if (tio_read_value_pb(pb_path, kind, &val, err, sizeof err) != 0)
        return;
    if (!val.present) {
        printf("absent %s\n", v->name);
    } else if (val.kind == TIO_SEQUENCE || val.kind == TIO_OPTIONAL_SEQUENCE) {
        printf("sequence %s=", v->name);
        for (int i = 0; i < val.n; i++) {
            const TioTensor *x = &val.items[i];
            printf("%s", i ? "," : "");
            if (x->rank == 0)
                printf("()");
            for (int d = 0; d < x->rank; d++)
                printf("%s%lld", d ? "x" : "", (long long)x->dims[d]);
        }
        printf("\n");
    }
    tio_free_value(&val);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: onnx_info MODEL.onnx [INPUT.pb ...]\n");
        return 2;
    }
    size_t len;
    uint8_t *buf = read_file(argv[1], &len);
    Onnx__ModelProto *m = buf ? onnx__model_proto__unpack(NULL, len, buf) : NULL;
    free(buf);
    if (!m || !m->graph) {
        fprintf(stderr, "%s: cannot read the model\n", argv[1]);
        return 1;
    }
    const Onnx__GraphProto *g = m->graph;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx"))
            printf("opset %lld\n", (long long)o->version);
    }
    int k = 0;
    for (size_t i = 0; i < g->n_input; i++) {
        if (is_initializer(g, g->input[i]->name))
            continue;
        print_value("input", g->input[i]);
        if (2 + k < argc && g->input[i]->type &&
            (g->input[i]->type->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
             g->input[i]->type->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE))
            bind_items(g->input[i], argv[2 + k]);
        else if (2 + k < argc)
            bind_dims(g->input[i], argv[2 + k]);
        k++;
    }
    for (size_t i = 0; i < g->n_output; i++)
        print_value("output", g->output[i]);
    onnx__model_proto__free_unpacked(m, NULL);
    return 0;
}
