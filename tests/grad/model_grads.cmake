# tests/grad/model_grads.cmake: whole-model gradients against PyTorch
# (model_grads.py) and the gradient check of RNN/LSTM/GRU backpropagation
# through time (rnn_cases.py), label grad.  Included from tests/tests.cmake:
#   include(${DLCC_TESTS_DIR}/grad/model_grads.cmake)
add_test(NAME grad/model_grads
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/grad/model_grads.py
                 --dlcc $<TARGET_FILE:dlcc> --work ${CMAKE_BINARY_DIR}/grad-work/model_grads)
set_tests_properties(grad/model_grads PROPERTIES LABELS grad TIMEOUT 900 ENVIRONMENT "${DLCC_TEST_ENV}")
add_test(NAME grad/rnn_gradcheck
         COMMAND ${DLCC_PYTHON} ${DLCC_TESTS_DIR}/grad/rnn_cases.py
                 --dlcc $<TARGET_FILE:dlcc> --work ${CMAKE_BINARY_DIR}/grad-work/rnn_gradcheck)
set_tests_properties(grad/rnn_gradcheck PROPERTIES LABELS grad TIMEOUT 900 ENVIRONMENT "${DLCC_TEST_ENV}")
