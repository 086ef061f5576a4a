// The doctest runner shared by every unit-test program.
//
// One program can hold several areas' tests (typed_unit_tests.cpp,
// runtime_unit_tests.cpp), each run as its own meson test through doctest's
// --source-file filter. A filter that matches no test case (a renamed file,
// a mistyped area) would let such a test pass having run nothing: this
// runner fails it instead.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

unsigned test_cases_run = 0;

// Records how many test cases passed the command line's filters.
struct FilterCount : doctest::IReporter {
  explicit FilterCount(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override { test_cases_run = stats.numTestCasesPassingFilters; }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("filter_count", 1, FilterCount);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;  // --help, --list-test-cases, ...
  if (result == 0 && test_cases_run == 0) {
    std::fprintf(stderr, "error: no test case matched this program's filters (a renamed test file, or a wrong "
                         "--source-file/--test-case in tests/meson.build): nothing was tested\n");
    return 1;
  }
  return result;
}
