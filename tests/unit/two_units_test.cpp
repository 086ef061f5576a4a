// qfence is header-only: every function a header defines must be inline (or
// a template), or a program whose translation units both include qfence
// fails to link with "multiple definition". This program is two translation
// units (this one and two_units_other.cpp) that include every public entry
// point: the typed graph (qfence.hpp), the interpreter, the reader and the
// header writer. It fails at link time, not at run time, when a header
// defines a plain function (as kernels/transpose-inl.hpp's TransposePlanes
// did until the resize kernels added a second one and this test found both).
#include <doctest/doctest.h>

#include "qfence.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"

int targets_seen_by_the_other_unit();

TEST_CASE("two translation units that include qfence link into one program") {
  CHECK(targets_seen_by_the_other_unit() == static_cast<int>(qfence::kernels::usable_targets().size()));
}
