#!/usr/bin/python3
"""Writes the bad-input models of tests/golden/onnx/ (each well under 2 KB).

    /usr/bin/python3 scripts/make_bad_models.py [OUTDIR]

Each NAME.onnx is a model that dlcc must refuse with exit status 1, a clear
message and no output file; the expected message is NAME.err beside it
(tests/golden/run_golden.py checks all three).  Regenerate the .err files
with DLCC_UPDATE_GOLDEN=1 and read the diff.  Needs Debian's python3-onnx.
"""

import os
import sys

from onnx import TensorProto, helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "onnx")


def model(nodes, inputs, outputs, inits=(), name="bad"):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="dlcc-tests")
    m.ir_version = 7
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(name, data):
    if not isinstance(data, bytes):
        data = data.SerializeToString()
    assert len(data) < 2048, name
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(data)
    err = os.path.join(OUT, name + ".err")
    if not os.path.exists(err):
        open(err, "w").close()  # filled in by DLCC_UPDATE_GOLDEN=1


def main():
    os.makedirs(OUT, exist_ok=True)
    good = model([helper.make_node("Relu", ["x"], ["h"], name="relu"),
                  helper.make_node("Add", ["h", "x"], ["y"], name="add")],
                 [f32("x", [2, 3])], [f32("y", [2, 3])]).SerializeToString()

    # Not a model at all: a protobuf cut short, text, and nothing.
    save("truncated", good[: len(good) * 2 // 3])
    save("garbage", b"this is not an ONNX model\n\xff\xfe\x00\x01\x02\x8f\x8f\x8f\x8f")
    save("empty", b"")

    # A node reads a name that nothing defines.
    save("missing_input", model(
        [helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")],
        [f32("x", [2, 3])], [f32("y", [2, 3])]))

    # A graph output that no node produces.
    save("missing_output", model(
        [helper.make_node("Relu", ["x"], ["h"], name="relu")],
        [f32("x", [2, 3])], [f32("y", [2, 3])]))

    # Several unsupported operators: all of them must be listed at once.
    save("unsupported_ops", model(
        [helper.make_node("NoSuchOp", ["x"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="relu"),
         helper.make_node("AlsoNoSuchOp", ["b"], ["c"], name="second"),
         helper.make_node("Frobnicate", ["c"], ["y"], name="third", domain="com.example")],
        [f32("x", [2, 3])], [f32("y", [2, 3])]))

    # Shapes that cannot be combined.
    save("shape_mismatch", model(
        [helper.make_node("Add", ["x", "z"], ["y"], name="add")],
        [f32("x", [2, 3]), f32("z", [4, 5])], [f32("y", [2, 3])]))
    save("matmul_mismatch", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
        [f32("x", [2, 3])], [f32("y", [2, 5])],
        [helper.make_tensor("w", TensorProto.FLOAT, [4, 5], [0.5] * 20)]))

    # An initializer whose data does not fill its shape.
    short_init = helper.make_tensor("b", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    short_init.dims[:] = [2, 3]
    save("initializer_size", model(
        [helper.make_node("Add", ["x", "b"], ["y"], name="add")],
        [f32("x", [2, 3])], [f32("y", [2, 3])], [short_init]))

    # External data that points out of the model's folder must be refused.
    ext = helper.make_tensor("b", TensorProto.FLOAT, [2, 3], [0.0] * 6)
    ext.ClearField("float_data")
    ext.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "../../../etc/passwd"), ("offset", "0"), ("length", "24")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    save("external_escape", model(
        [helper.make_node("Add", ["x", "b"], ["y"], name="add")],
        [f32("x", [2, 3])], [f32("y", [2, 3])], [ext]))

    # An attribute value the operator does not define: a clear error at the
    # node (shape inference), not a failure in code generation.
    save("resize_mode", model(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", mode="nearest",
                          coordinate_transformation_mode="half_pixle")],
        [f32("x", [1, 1, 2, 2])], [f32("y", [1, 1, 4, 4])],
        [helper.make_tensor("scales", TensorProto.FLOAT, [4], [1.0, 1.0, 2.0, 2.0])]))

    # Two nodes that read each other's output: not a DAG.
    save("cycle", model(
        [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="second")],
        [f32("x", [2, 3])], [f32("a", [2, 3])]))
    print("wrote bad-input models to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
