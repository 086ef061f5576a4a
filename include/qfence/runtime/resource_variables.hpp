// qfence/runtime/resource_variables.hpp: the resource variables of a model,
// as TFLM's MicroResourceVariables keeps them.
//
// A variable is named by (container, shared_name) in VAR_HANDLE's options;
// VAR_HANDLE ops with the same names share it. The first ASSIGN_VARIABLE
// prepared for it gives its size and its default value (the int8 cast of
// the assigned tensor's zero point, written into every byte, as TFLM
// memsets it); ASSIGN_VARIABLE copies a value in, READ_VARIABLE copies it
// out. The interpreter owns them: they live across invokes, and
// reset_variables() puts each back to its default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

struct resource_variable {
  std::string container, shared_name;
  bool has_container = false;
  bool allocated = false;          // an ASSIGN_VARIABLE gave it a size
  std::uint8_t default_byte = 0;   // every byte's value after a reset
  std::vector<std::byte> value;    // sized once, when allocated (kernels keep its address)
  std::string allocated_by;        // "operator 3 (ASSIGN_VARIABLE v1)", for messages

  /// "'x'" or "'c/x'".
  std::string label() const { return "'" + (container.empty() ? std::string() : container + "/") + shared_name + "'"; }
};

class resource_variables {
 public:
  /// The id of the variable VAR_HANDLE names; a new one if none matches. As
  /// TFLM's FindId: a handle without a container matches any container.
  int id_of(bool has_container, const std::string& container, const std::string& shared_name) {
    for (std::size_t i = 0; i < vars_.size(); ++i) {
      const resource_variable& v = vars_[i];
      if ((!has_container || (v.has_container && v.container == container)) && v.shared_name == shared_name)
        return static_cast<int>(i);
    }
    resource_variable v;
    v.container = container;
    v.shared_name = shared_name;
    v.has_container = has_container;
    vars_.push_back(std::move(v));
    return static_cast<int>(vars_.size()) - 1;
  }

  /// Variable `id`; its address never changes (a deque grows without moving).
  resource_variable& at(int id) { return vars_.at(static_cast<std::size_t>(id)); }
  std::size_t size() const noexcept { return vars_.size(); }

  /// Gives variable `id` its size and default value, once.
  void allocate(int id, std::size_t bytes, std::uint8_t default_byte, const std::string& by) {
    resource_variable& v = at(id);
    if (v.allocated) return;
    v.allocated = true;
    v.default_byte = default_byte;
    v.value.assign(bytes, std::byte{default_byte});
    v.allocated_by = by;
  }

  /// Every variable back to its default value (TFLM's ResetAll).
  void reset_all() noexcept {
    for (resource_variable& v : vars_)
      if (!v.value.empty()) std::memset(v.value.data(), v.default_byte, v.value.size());
  }

 private:
  std::deque<resource_variable> vars_;
};

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
