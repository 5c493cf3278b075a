# tests/tests.cmake: every dlcc test, registered with ctest and labelled so a
# slice can be run alone:  ctest --test-dir build -L unit|golden|onnx|models|grad
#
#   unit    tests/unit/test_*.c, each an executable linked with dlcc_lib and cmocka
#   golden  tests/golden/run_golden.py: .dl/.onnx inputs beside expected .ir/.c/.err
#   onnx    tests/onnx/run_suite.py, one ctest per ONNX backend suite
#   models  tests/models/run_models.sh: whole networks against ONNX Runtime
#   grad    (gradient checks: registered once tests/grad has something to run)
#
# The ONNX 1.22 backend data is looked up in $DLCC_ONNX_BACKEND, then in
# ../shared/onnx-backend beside the repository (CI), then in tests/onnx/data.

set(DLCC_TESTS_DIR ${CMAKE_SOURCE_DIR}/tests)

# Debian's numpy/onnx/torch are visible only to the system interpreter.
find_program(DLCC_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT DLCC_PYTHON)
  find_program(DLCC_PYTHON NAMES python3 REQUIRED)
endif()

set(DLCC_TEST_ENV
  "DLCC_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  "DLCC_BUILD_DIR=${CMAKE_BINARY_DIR}"
  "DLCC=$<TARGET_FILE:dlcc>")

# ---- unit tests (cmocka)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(CMOCKA QUIET cmocka)
endif()
if(NOT CMOCKA_FOUND)
  find_library(CMOCKA_LIBRARIES cmocka)
  find_path(CMOCKA_INCLUDE_DIRS cmocka.h)
  if(CMOCKA_LIBRARIES AND CMOCKA_INCLUDE_DIRS)
    set(CMOCKA_FOUND TRUE)
  endif()
endif()

file(GLOB DLCC_UNIT_TESTS CONFIGURE_DEPENDS ${DLCC_TESTS_DIR}/unit/test_*.c)
if(DLCC_UNIT_TESTS AND NOT CMOCKA_FOUND)
  message(WARNING "cmocka not found (apt-get install libcmocka-dev): unit tests are not built")
elseif(DLCC_UNIT_TESTS)
  foreach(src ${DLCC_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE_DIRS} ${DLCC_TESTS_DIR}/unit)
    target_compile_options(${name} PRIVATE ${DLCC_WARNINGS})
    target_link_libraries(${name} PRIVATE dlcc_lib ${CMOCKA_LIBRARIES})
    add_test(NAME unit/${name} COMMAND ${name}
             WORKING_DIRECTORY ${DLCC_TESTS_DIR}/unit)
    set_tests_properties(unit/${name} PROPERTIES LABELS unit TIMEOUT 120
                         ENVIRONMENT "${DLCC_TEST_ENV}")
  endforeach()
endif()

# ---- golden files (and the bad-input models of tests/golden/onnx)
file(GLOB_RECURSE DLCC_GOLDEN_INPUTS CONFIGURE_DEPENDS
  ${DLCC_TESTS_DIR}/golden/*.dl ${DLCC_TESTS_DIR}/golden/*.onnx)
if(DLCC_GOLDEN_INPUTS)
  add_test(NAME golden
           COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/golden/run_golden.py
                   --dlcc $<TARGET_FILE:dlcc> ${DLCC_TESTS_DIR}/golden)
  set_tests_properties(golden PROPERTIES LABELS golden TIMEOUT 600
                       ENVIRONMENT "${DLCC_TEST_ENV}")
endif()

# ---- the C API of string tensors: generated code driven by a C program
# (tests/strings/run_string_api.sh)
add_test(NAME golden/string-api
         COMMAND sh ${DLCC_TESTS_DIR}/strings/run_string_api.sh $<TARGET_FILE:dlcc>
                 ${CMAKE_BINARY_DIR}/string-api)
set_tests_properties(golden/string-api PROPERTIES LABELS golden TIMEOUT 120
                     ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- the C API of sequence and optional inputs/outputs, and their IR slot
# statements (tests/sequences/run_sequence_api.sh)
add_test(NAME golden/sequence-api
         COMMAND sh ${DLCC_TESTS_DIR}/sequences/run_sequence_api.sh $<TARGET_FILE:dlcc>
                 ${CMAKE_BINARY_DIR}/sequence-api)
set_tests_properties(golden/sequence-api PROPERTIES LABELS golden TIMEOUT 120
                     ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- ONNX backend conformance, one ctest per suite
if(DEFINED ENV{DLCC_ONNX_BACKEND})
  set(DLCC_ONNX_BACKEND $ENV{DLCC_ONNX_BACKEND})
elseif(EXISTS ${CMAKE_SOURCE_DIR}/../shared/onnx-backend/node)
  get_filename_component(DLCC_ONNX_BACKEND ${CMAKE_SOURCE_DIR}/../shared/onnx-backend ABSOLUTE)
else()
  set(DLCC_ONNX_BACKEND ${DLCC_TESTS_DIR}/onnx/data)
endif()
set(DLCC_DEBIAN_ONNX_DATA /usr/share/libonnx-testdata/data)
set(DLCC_ONNX_JOBS 2 CACHE STRING "parallel tests inside one conformance suite")

function(dlcc_onnx_suite suite dir layout timeout)
  if(NOT EXISTS ${dir})
    message(STATUS "ONNX suite ${suite}: ${dir} not found, not registered")
    return()
  endif()
  add_test(NAME onnx/${suite}
           COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/run_suite.py
                   --suite ${suite} --dir ${dir} --layout ${layout}
                   --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                   --work ${CMAKE_BINARY_DIR}/onnx-work/${suite} --jobs ${DLCC_ONNX_JOBS}
                   ${ARGN})
  # RUN_SERIAL: each suite already runs DLCC_ONNX_JOBS tests at a time.
  set_tests_properties(onnx/${suite} PROPERTIES LABELS onnx TIMEOUT ${timeout}
                       RUN_SERIAL TRUE ENVIRONMENT "${DLCC_TEST_ENV}")
endfunction()

dlcc_onnx_suite(node              ${DLCC_ONNX_BACKEND}/node              node  3600)
dlcc_onnx_suite(pytorch-converted ${DLCC_ONNX_BACKEND}/pytorch-converted node  1200)
dlcc_onnx_suite(pytorch-operator  ${DLCC_ONNX_BACKEND}/pytorch-operator  node  600)
dlcc_onnx_suite(simple            ${DLCC_ONNX_BACKEND}/simple            node  600)
dlcc_onnx_suite(light             ${DLCC_ONNX_BACKEND}/light             light 1800 --timeout 300)
# Debian's ONNX 1.12 data (package libonnx-testdata).  Its real/ folder only
# holds download links (data.json), so it is not run.
foreach(s node pytorch-converted pytorch-operator simple)
  dlcc_onnx_suite(deb-${s} ${DLCC_DEBIAN_ONNX_DATA}/${s} node 3600)
endforeach()

# ---- IR text round trip (issue 4): every node test through --emit=ir,
# re-printed (same text required) and compiled from the .dl; its results go
# to results/roundtrip-node.txt and the node suite's expected failures apply,
# so a test that passes plainly but fails via the IR fails this ctest (about
# 5 min with 2 jobs).  --every N runs a fixed sample when time is short.
if(EXISTS ${DLCC_ONNX_BACKEND}/node)
  add_test(NAME golden/roundtrip-node
           COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/run_suite.py
                   --suite roundtrip-node --expected-suite node --via-ir
                   --dir ${DLCC_ONNX_BACKEND}/node --layout node
                   --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                   --work ${CMAKE_BINARY_DIR}/onnx-work/roundtrip-node --jobs ${DLCC_ONNX_JOBS})
  set_tests_properties(golden/roundtrip-node PROPERTIES LABELS golden TIMEOUT 3600
                       RUN_SERIAL TRUE ENVIRONMENT "${DLCC_TEST_ENV}")
endif()

# ---- whole models: exported from PyTorch at test time, checked against ONNX Runtime
add_test(NAME models
         COMMAND ${DLCC_TESTS_DIR}/models/run_models.sh
                 --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                 --work ${CMAKE_BINARY_DIR}/models-work --python ${DLCC_PYTHON})
set_tests_properties(models PROPERTIES LABELS models TIMEOUT 2400 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")
# The same four networks through the IR's text form (--emit=ir, re-printed and
# compared, compiled from the .dl), on the data the models test exported.
add_test(NAME models/roundtrip
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/run_suite.py
                 --suite roundtrip-models --expected-suite models --via-ir
                 --dir ${DLCC_TESTS_DIR}/models/data --filter "^(mlp|lenet5|squeezenet1_1|resnet18)$"
                 --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                 --work ${CMAKE_BINARY_DIR}/models-work-roundtrip
                 --opt=-O2 --jobs 1 --timeout 900)
set_tests_properties(models/roundtrip PROPERTIES LABELS models TIMEOUT 2400 RUN_SERIAL TRUE
                     DEPENDS models ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- the course's network families against ONNX Runtime (issue 3)
include(${DLCC_TESTS_DIR}/models/networks.cmake)
# The networks through the IR's text form (-O1: about 3.5 min), on the data
# models/networks exported; AlexNet and VGG-11 in the next test.
add_test(NAME models/networks_roundtrip
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/run_suite.py
                 --suite roundtrip-networks --via-ir
                 --expected ${DLCC_TESTS_DIR}/models/networks_expected.txt --expected-suite networks
                 --dir ${DLCC_TESTS_DIR}/models/data/networks
                 --filter "^(dcgan|densenet121|dilated_se|googlenet|resnet50|gru2|lstm2|rnn2|mobilenet_v2|mobilenet_v3_small|squeezenet1_0|transformer|unet|vae|word2vec|kws|crnn_ocr|speech_ctc)$"
                 --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                 --work ${CMAKE_BINARY_DIR}/networks-work-roundtrip
                 --opt=-O1 --jobs 1 --timeout 900)
set_tests_properties(models/networks_roundtrip PROPERTIES LABELS models TIMEOUT 1200
                     RUN_SERIAL TRUE DEPENDS models/networks ENVIRONMENT "${DLCC_TEST_ENV}")

# AlexNet and VGG-11 (240 and 507 MB of weights, written beside the .dl as
# file(...) data) through the IR's text form, alone because of their memory.
add_test(NAME models/networks_roundtrip_large
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/run_suite.py
                 --suite roundtrip-networks-large --via-ir
                 --expected ${DLCC_TESTS_DIR}/models/networks_expected.txt --expected-suite networks
                 --dir ${DLCC_TESTS_DIR}/models/data/networks --filter "^(alexnet|vgg11)$"
                 --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT}
                 --work ${CMAKE_BINARY_DIR}/networks-work-roundtrip-large
                 --opt=-O1 --jobs 1 --timeout 1500)
set_tests_properties(models/networks_roundtrip_large PROPERTIES LABELS models TIMEOUT 3000
                     RUN_SERIAL TRUE DEPENDS "models/networks;models/networks_vgg11"
                     ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- --const-input: specialisation, checked by the generated code at run time
add_test(NAME onnx/const-input
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/const_input.py --dlcc $<TARGET_FILE:dlcc>)
set_tests_properties(onnx/const-input PROPERTIES LABELS onnx TIMEOUT 300 ENVIRONMENT "${DLCC_TEST_ENV}")
# ---- Dropout's training_mode input in an inference graph: the semantics,
# seeded (numpy's stream) and unseeded (Philox)
add_test(NAME onnx/dropout-mode
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/dropout_mode.py --dlcc $<TARGET_FILE:dlcc>)
set_tests_properties(onnx/dropout-mode PROPERTIES LABELS onnx TIMEOUT 300 ENVIRONMENT "${DLCC_TEST_ENV}")
# ---- seeded random operators against the ONNX reference's numpy streams
add_test(NAME onnx/seeded-random
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/seeded_random.py --dlcc $<TARGET_FILE:dlcc>)
set_tests_properties(onnx/seeded-random PROPERTIES LABELS onnx TIMEOUT 300 ENVIRONMENT "${DLCC_TEST_ENV}")
# ---- depthwise 2-D convolution (its own kernel) against numpy, many shapes
add_test(NAME onnx/depthwise
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/onnx/depthwise.py --dlcc $<TARGET_FILE:dlcc>)
set_tests_properties(onnx/depthwise PROPERTIES LABELS onnx TIMEOUT 300 ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- the hand-written .dl examples against PyTorch
include(${DLCC_TESTS_DIR}/models/dl_examples.cmake)

# ---- gradient checks: tests/grad/run_grad.* once it exists
file(GLOB DLCC_GRAD_RUNNER ${DLCC_TESTS_DIR}/grad/run_grad.sh)
if(DLCC_GRAD_RUNNER)
  add_test(NAME grad COMMAND ${DLCC_GRAD_RUNNER} --dlcc $<TARGET_FILE:dlcc>)
  set_tests_properties(grad PROPERTIES LABELS grad TIMEOUT 1200 ENVIRONMENT "${DLCC_TEST_ENV}")
endif()

# ---- whole-model gradients against PyTorch, RNN/LSTM/GRU gradient checks
include(${DLCC_TESTS_DIR}/grad/model_grads.cmake)

# ---- the digits CNN trained in generated C (>= 97% test accuracy)
include(${CMAKE_SOURCE_DIR}/examples/train_digits/train_digits.cmake)

# ---- IR text round trip of training programs (issue 4): the printed joint
# graph of every training example parses back to the same graph, and a few
# train identically through the API (tests/golden/train/train_roundtrip.py).
add_test(NAME golden/train-roundtrip
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/golden/train/train_roundtrip.py
                 --dlcc $<TARGET_FILE:dlcc> --cc ${CMAKE_C_COMPILER})
set_tests_properties(golden/train-roundtrip PROPERTIES LABELS golden TIMEOUT 600
                     ENVIRONMENT "${DLCC_TEST_ENV}")

# ---- ImageDecoder: generated decoders against Pillow, bit for bit (tests/image)
add_test(NAME image/decoders
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/image/check_images.py
                 --dlcc $<TARGET_FILE:dlcc> --cc ${CMAKE_C_COMPILER})
set_tests_properties(image/decoders PROPERTIES LABELS "image;onnx" TIMEOUT 300
                     ENVIRONMENT "${DLCC_TEST_ENV}")
