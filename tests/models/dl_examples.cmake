# tests/models/dl_examples.cmake: the examples/*.dl models, each compiled by
# dlcc (inference and training builds), run through tests/models/dl_driver.c
# and compared with PyTorch using the same weights (scripts/dl_examples_ref.py
# makes the weights, inputs and references at test time).  Included from
# tests/tests.cmake; uses DLCC_PYTHON, DLCC_TESTS_DIR and DLCC_TEST_ENV from
# there.  Exit status 77 (skipped) when Debian's torch/numpy are missing.
add_test(NAME models/dl_examples
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/models/dl_examples.py
                 --dlcc $<TARGET_FILE:dlcc> --work ${CMAKE_BINARY_DIR}/dl-examples-work)
set_tests_properties(models/dl_examples PROPERTIES LABELS models TIMEOUT 1200
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")
