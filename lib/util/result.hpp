// Errors as values: Result<T> holds either a T or an Error (errno + message).
// No exceptions cross module boundaries; callers propagate with CFS_TRY.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace cfs {

/// A failure: the errno that best describes it and a message for humans.
struct Error {
  int errnum = EINVAL;
  std::string msg;
};

/// Builds an Error; `msg` should read well after "program: ".
inline Error make_error(int errnum, std::string msg) { return Error{errnum, std::move(msg)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error err) : v_(std::move(err)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error err) : err_(std::move(err)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }
  Error&& take_error() { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

}  // namespace cfs

/// Evaluates a Result expression; returns its Error from the enclosing function on failure,
/// otherwise yields the value (GCC/Clang statement expression).
#define CFS_TRY(expr)                                   \
  __extension__({                                       \
    auto cfs_try_r_ = (expr);                           \
    if (!cfs_try_r_.ok()) return cfs_try_r_.take_error(); \
    std::move(cfs_try_r_).value();                      \
  })

/// Like CFS_TRY for Result<void>.
#define CFS_CHECK(expr)                                 \
  do {                                                  \
    auto cfs_chk_r_ = (expr);                           \
    if (!cfs_chk_r_.ok()) return cfs_chk_r_.take_error(); \
  } while (0)
