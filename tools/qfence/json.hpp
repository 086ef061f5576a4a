// tools/qfence/json.hpp: a small JSON writer for the CLI's machine-readable
// output (one object per line, keys in insertion order).
#pragma once

#include <cmath>
#include <cstdio>
#include <ranges>
#include <string>
#include <string_view>

namespace qfence::cli {

class json {
 public:
  json& begin_object() { return open('{'); }
  json& end_object() { return close('}'); }
  json& begin_array() { return open('['); }
  json& end_array() { return close(']'); }

  json& key(std::string_view k) {
    separate();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  json& value(std::string_view s) {
    separate();
    quote(s);
    return *this;
  }
  json& value(const char* s) { return value(std::string_view(s)); }
  json& value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
  }
  template <class T>
    requires std::is_integral_v<T>
  json& value(T v) {
    separate();
    out_ += std::to_string(v);
    return *this;
  }
  json& value(double v) {
    separate();
    if (!std::isfinite(v)) {
      out_ += "null";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", v);
      out_ += buf;
    }
    return *this;
  }
  json& value(float v) { return value(static_cast<double>(v)); }
  template <class T>
  json& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  /// A field whose value is the array of `values`, each as value() writes it.
  template <std::ranges::input_range R>
  json& array_field(std::string_view k, const R& values) {
    key(k).begin_array();
    for (const auto& v : values) value(v);
    return end_array();
  }

  const std::string& str() const noexcept { return out_; }

 private:
  json& open(char c) {
    separate();
    out_ += c;
    first_ = true;
    return *this;
  }
  json& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_ && !out_.empty()) out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace qfence::cli
