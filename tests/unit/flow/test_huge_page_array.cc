// HugePageArray (huge_page_array.h): elements are value-initialised and
// writable; an array of 256 KiB or more starts on a 2 MiB boundary and its
// memory carries the kernel's huge-page advice (VmFlags "hg" in
// /proc/self/smaps); a smaller one is cache-line aligned and not advised.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "dataplane/flow/huge_page_array.h"

namespace sluice {
namespace {

struct Slot {
  uint64_t a = 7;
  uint32_t b = 0;
};

// The VmFlags of the mapping that holds `p`, or "" if none does.
std::string vm_flags_of(const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= addr && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(HugePageArray, ElementsAreValueInitialisedAndWritable) {
  HugePageArray<Slot> slots(1000);
  for (size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(slots[i].a, 7u);
    ASSERT_EQ(slots[i].b, 0u);
    slots[i].b = static_cast<uint32_t>(i);
  }
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(slots[i].b, i);
}

TEST(HugePageArray, ALargeArrayIsHugePageAlignedAndAdvised) {
  const size_t n = (size_t{4} << 20) / sizeof(Slot) + 3;  // a little over 4 MiB
  HugePageArray<Slot> slots(n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(slots.data()) % HugePageArray<Slot>::kHugePage, 0u);
  EXPECT_EQ(slots[n - 1].a, 7u);
  const std::string flags = vm_flags_of(slots.data());
  ASSERT_FALSE(flags.empty()) << "no mapping holds the array";
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
}

TEST(HugePageArray, ASmallArrayIsCacheLineAlignedAndNotAdvised) {
  HugePageArray<Slot> slots(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(slots.data()) % 64, 0u);
  EXPECT_EQ(vm_flags_of(slots.data()).find(" hg"), std::string::npos);
}

}  // namespace
}  // namespace sluice
