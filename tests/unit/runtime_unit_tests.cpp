// One translation unit for the unit tests of the runtime path (TFLite reader
// and writer, interpreter, calibration, the quantizers).
//
// Why: each of these areas includes the interpreter, the reader and the
// writer, and compiling those is most of what each area costs (GCC 12 -O0:
// 30 s for one area, 55 s for all ten; under ASan+UBSan each area took
// 155-210 s of CI). As one program they pay it once; each area stays its own
// meson test (tests/meson.build selects it with doctest's --source-file
// filter), so a failure still names its area.
//
// Each area's file compiles alone and keeps its helpers in a namespace named
// after it, so that helpers of the same name in two areas never meet here.
// Not here: what must own the whole program (calibration_memory_test.cpp
// replaces operator new).
#include "tflite_reader_test.cpp"
#include "tflite_writer_test.cpp"
#include "both_paths_test.cpp"
#include "calibration_test.cpp"
#include "control_flow_test.cpp"
#include "float16_test.cpp"
#include "hybrid_test.cpp"
#include "image_test.cpp"
#include "quantize_graph_test.cpp"
#include "int16x8_test.cpp"
