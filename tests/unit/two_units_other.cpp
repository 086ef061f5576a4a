// The second translation unit of two_units_test (see there).
#include "qfence.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"

int targets_seen_by_the_other_unit() { return static_cast<int>(qfence::kernels::usable_targets().size()); }
