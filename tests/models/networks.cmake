# tests/models/networks.cmake: the whole-network zoo of issue 3 (AlexNet,
# GoogLeNet, ResNet-50, SqueezeNet 1.0, MobileNet v2 / v3-small, DenseNet-121,
# U-Net, dilated conv + SE, 2-layer LSTM/GRU/RNN, Transformer encoder, VAE,
# DCGAN generator, skip-gram word2vec, and VGG-11; plus keyword spotting, a
# CRNN text recogniser and a CTC speech model with symbolic axes), exported from PyTorch at
# test time by scripts/export_networks.py and compared with ONNX Runtime by
# tests/models/networks.py.  Known gaps are listed in
# tests/models/networks_expected.txt.  Included from tests/tests.cmake; uses
# DLCC_PYTHON, DLCC_TESTS_DIR, DLCC_TEST_ENV and PROTO_OUT from there.
#
#   models/networks        every network but VGG-11
#   models/networks_more   ten more torchvision architectures (ShuffleNet v2,
#                          EfficientNet-B0, MnasNet, RegNetY, MobileNet v3-large,
#                          ResNeXt-50, Inception v3, ConvNeXt-T, Swin-T, FCN)
#   models/networks_vgg11  VGG-11 alone (507 MB of weights: a 1.4 GB net.c;
#                          see bench/compile_large.sh for its time and memory)
#
# Both are RUN_SERIAL: clang needs GBs of memory on the largest files.
# Exit status 77 (skipped) when Debian's torch/torchvision/onnx are missing.
set(DLCC_NETWORKS_ARGS
    ${DLCC_TESTS_DIR}/models/networks.py --python ${DLCC_PYTHON}
    --dlcc $<TARGET_FILE:dlcc> --proto-dir ${PROTO_OUT})

add_test(NAME models/networks
         COMMAND ${DLCC_PYTHON} ${DLCC_NETWORKS_ARGS} --suite networks --exclude "^vgg11$"
                 --work ${CMAKE_BINARY_DIR}/networks-work)
set_tests_properties(models/networks PROPERTIES LABELS models TIMEOUT 3000 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")

add_test(NAME models/networks_vgg11
         COMMAND ${DLCC_PYTHON} ${DLCC_NETWORKS_ARGS} --suite networks-large --timeout 1500
                 --work ${CMAKE_BINARY_DIR}/networks-large-work vgg11)
set_tests_properties(models/networks_vgg11 PROPERTIES LABELS models TIMEOUT 1800 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")

add_test(NAME models/networks_more
         COMMAND ${DLCC_PYTHON} ${DLCC_NETWORKS_ARGS} --suite networks-more
                 --work ${CMAKE_BINARY_DIR}/networks-more-work
                 shufflenet_v2_x0_5 efficientnet_b0 mnasnet0_5 regnet_y_400mf mobilenet_v3_large
                 resnext50_32x4d inception_v3 convnext_tiny swin_t fcn_resnet50)
set_tests_properties(models/networks_more PROPERTIES LABELS models TIMEOUT 2400 RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77 ENVIRONMENT "${DLCC_TEST_ENV}")
