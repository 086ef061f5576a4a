// Not an example to run: a compile-fail case (tests/compile_fail/run_case.py)
// for a generated header whose model needs a custom op the application does
// not provide. The error names the op and shows the signature to write.
// expect: this model needs custom op 'PosenetDecoderOp'
// expect: struct PosenetDecoderOp \{
// expect: static void run\(const float\* in0 /\* \[1,23,31,17\], dequantized \*/
#include "posenet.hpp"
struct ops_without_the_decoder {};
int main() { (void)posenet::graph<ops_without_the_decoder>(); }
