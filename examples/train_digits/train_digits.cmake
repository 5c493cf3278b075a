# examples/train_digits: the digits CNN trained in generated C must reach 97%
# test accuracy (label models).  Included from tests/tests.cmake.
add_test(NAME models/train_digits
         COMMAND ${CMAKE_SOURCE_DIR}/examples/train_digits/run.sh
                 --dlcc $<TARGET_FILE:dlcc> --work ${CMAKE_BINARY_DIR}/train-digits)
set_tests_properties(models/train_digits PROPERTIES LABELS models TIMEOUT 600
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")
