// HugePageArray<T>: a fixed-size array of value-initialised T for the tables
// a forwarding worker indexes at random (exact-match caches, rule counters).
//
// An array of 256 KiB or more is rounded up to whole 2 MiB pages, 2 MiB
// aligned and advised to the kernel as transparent huge pages (madvise
// MADV_HUGEPAGE; Debian's default THP mode only backs advised memory). With
// 4 KiB pages, the entries that 1k flows hit in a 16 MiB cache lie on ~1k
// different pages, more than the first-level TLB holds, so many lookups also
// walk the page tables. Where THP is off or no huge page is free, the kernel
// uses 4 KiB pages and nothing else changes.
// Every element is constructed here, so every page is faulted in before a
// worker reads the array.
//
// Thread-safety: as T[]; construction and destruction on one thread.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace sluice {

template <class T>
class HugePageArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are not destroyed one by one");

 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  // Throws std::bad_alloc.
  explicit HugePageArray(size_t n) {
    const size_t bytes = std::max<size_t>(n, 1) * sizeof(T);
    const size_t align = bytes >= kHugePage / 8 ? kHugePage : std::max<size_t>(alignof(T), 64);
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    if (p == nullptr) throw std::bad_alloc();
    if (align == kHugePage) madvise(p, size, MADV_HUGEPAGE);  // advice only: failure is harmless
    data_.reset(static_cast<T*>(p));
    for (size_t i = 0; i < n; ++i) new (&data_.get()[i]) T();
  }

  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
};

}  // namespace sluice
