#include "nf/firewall/acl_rule_set.h"

#include <rte_byteorder.h>
#include <rte_errno.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>

#include "common/error.h"

namespace sluice::nf {

namespace {

// Field numbers of the two layouts.
enum : uint8_t { kProto, kSrc, kDst4 = kSrc + 1, kSport4, kDport4, kInPort4, kFields4 };
enum : uint8_t { kDst6 = kSrc + 4, kSport6 = kDst6 + 4, kDport6, kInPort6, kFields6 };

RTE_ACL_RULE_DEF(Acl4Rule, kFields4);
RTE_ACL_RULE_DEF(Acl6Rule, kFields6);

rte_acl_field_def field(uint8_t type, uint8_t size, uint8_t index, uint8_t input, size_t offset) {
  return {type, size, index, input, static_cast<uint32_t>(offset)};
}

rte_acl_config config4() {
  rte_acl_config c{};
  c.num_categories = 1;
  c.num_fields = kFields4;
  c.defs[0] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kProto, 0, offsetof(AclKey4, proto));
  c.defs[1] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kSrc, 1, offsetof(AclKey4, src));
  c.defs[2] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kDst4, 2, offsetof(AclKey4, dst));
  c.defs[3] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kSport4, 3, offsetof(AclKey4, sport));
  c.defs[4] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kDport4, 3, offsetof(AclKey4, dport));
  c.defs[5] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kInPort4, 4, offsetof(AclKey4, in_port));
  return c;
}

rte_acl_config config6() {
  rte_acl_config c{};
  c.num_categories = 1;
  c.num_fields = kFields6;
  c.defs[0] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kProto, 0, offsetof(AclKey6, proto));
  for (uint8_t w = 0; w < 4; ++w) {
    c.defs[1 + w] = field(RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(kSrc + w),
                          static_cast<uint8_t>(1 + w), offsetof(AclKey6, src) + 4u * w);
    c.defs[5 + w] = field(RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(kDst6 + w),
                          static_cast<uint8_t>(5 + w), offsetof(AclKey6, dst) + 4u * w);
  }
  c.defs[9] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kSport6, 9, offsetof(AclKey6, sport));
  c.defs[10] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kDport6, 9, offsetof(AclKey6, dport));
  c.defs[11] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kInPort6, 10, offsetof(AclKey6, in_port));
  return c;
}

uint32_t word(const std::array<uint8_t, 16>& a, unsigned w) {
  return static_cast<uint32_t>(a[4 * w]) << 24 | static_cast<uint32_t>(a[4 * w + 1]) << 16 |
         static_cast<uint32_t>(a[4 * w + 2]) << 8 | a[4 * w + 3];
}

// Common fields of both layouts, in host byte order as rte_acl wants rules.
void common_fields(const FirewallRule& r, size_t index, rte_acl_rule_data& data, rte_acl_field* f,
                   uint8_t sport, uint8_t dport, uint8_t in_port) {
  data.category_mask = 1;
  data.priority = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - index);
  data.userdata = static_cast<uint32_t>(index + 1);
  f[kProto].value.u8 = r.proto < 0 ? 0 : static_cast<uint8_t>(r.proto);
  f[kProto].mask_range.u8 = r.proto < 0 ? 0 : 0xff;
  f[sport].value.u16 = r.src_port.lo;
  f[sport].mask_range.u16 = r.src_port.hi;
  f[dport].value.u16 = r.dst_port.lo;
  f[dport].mask_range.u16 = r.dst_port.hi;
  f[in_port].value.u32 = r.in_port < 0 ? 0 : static_cast<uint32_t>(r.in_port);
  f[in_port].mask_range.u32 = r.in_port < 0 ? 0 : 32;
}

// One 32-bit word `w` of an IPv6 prefix as a masked field.
void prefix_word(const std::optional<Prefix>& p, unsigned w, rte_acl_field& f) {
  const int bits = p ? static_cast<int>(p->len) - 32 * static_cast<int>(w) : 0;
  f.value.u32 = p ? word(p->addr, w) : 0;
  f.mask_range.u32 = static_cast<uint32_t>(bits < 0 ? 0 : bits > 32 ? 32 : bits);
}

rte_acl_ctx* create(const char* family, size_t fields, size_t count, int socket) {
  static std::atomic<unsigned> serial{0};
  const std::string name = std::string("fw") + family + "_" + std::to_string(serial++);
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = socket;
  param.rule_size = static_cast<uint32_t>(RTE_ACL_RULE_SZ(fields));
  param.max_rule_num = static_cast<uint32_t>(count);
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (ctx == nullptr)
    throw Error(std::string("firewall: cannot create rule classifier: ") + rte_strerror(rte_errno),
                rte_errno);
  return ctx;
}

void add_and_build(rte_acl_ctx* ctx, const rte_acl_rule* rules, size_t count,
                   const rte_acl_config& cfg) {
  int rc = rte_acl_add_rules(ctx, rules, static_cast<uint32_t>(count));
  if (rc == 0) rc = rte_acl_build(ctx, &cfg);
  if (rc != 0) {
    rte_acl_free(ctx);
    throw Error(std::string("firewall: cannot compile rules: ") + rte_strerror(-rc), -rc);
  }
}

}  // namespace

void make_acl_key(const FirewallPacket& fp, uint16_t in_port, AclKey& key) noexcept {
  if (fp.family == 4) {
    AclKey4& k = key.v4;
    k = {};
    k.proto = fp.proto;
    std::memcpy(&k.src, fp.src.data(), 4);
    std::memcpy(&k.dst, fp.dst.data(), 4);
    k.sport = rte_cpu_to_be_16(fp.sport);
    k.dport = rte_cpu_to_be_16(fp.dport);
    k.in_port = rte_cpu_to_be_32(in_port);
  } else {
    AclKey6& k = key.v6;
    k = {};
    k.proto = fp.proto;
    std::memcpy(k.src, fp.src.data(), 16);
    std::memcpy(k.dst, fp.dst.data(), 16);
    k.sport = rte_cpu_to_be_16(fp.sport);
    k.dport = rte_cpu_to_be_16(fp.dport);
    k.in_port = rte_cpu_to_be_32(in_port);
  }
}

AclRuleSet::AclRuleSet(const std::vector<FirewallRule>& rules, int socket_id) {
  std::vector<Acl4Rule> v4;
  std::vector<Acl6Rule> v6;
  for (size_t i = 0; i < rules.size(); ++i) {
    const FirewallRule& r = rules[i];
    if (r.family != 6) {
      Acl4Rule a{};
      common_fields(r, i, a.data, a.field, kSport4, kDport4, kInPort4);
      a.field[kSrc].value.u32 = r.src ? word(r.src->addr, 0) : 0;
      a.field[kSrc].mask_range.u32 = r.src ? r.src->len : 0;
      a.field[kDst4].value.u32 = r.dst ? word(r.dst->addr, 0) : 0;
      a.field[kDst4].mask_range.u32 = r.dst ? r.dst->len : 0;
      v4.push_back(a);
    }
    if (r.family != 4) {
      Acl6Rule a{};
      common_fields(r, i, a.data, a.field, kSport6, kDport6, kInPort6);
      for (unsigned w = 0; w < 4; ++w) {
        prefix_word(r.src, w, a.field[kSrc + w]);
        prefix_word(r.dst, w, a.field[kDst6 + w]);
      }
      v6.push_back(a);
    }
  }
  if (!v4.empty()) {
    ctx4_ = create("4", kFields4, v4.size(), socket_id);
    add_and_build(ctx4_, reinterpret_cast<const rte_acl_rule*>(v4.data()), v4.size(), config4());
  }
  if (!v6.empty()) {
    try {
      ctx6_ = create("6", kFields6, v6.size(), socket_id);
      add_and_build(ctx6_, reinterpret_cast<const rte_acl_rule*>(v6.data()), v6.size(), config6());
    } catch (...) {
      rte_acl_free(ctx4_);
      throw;
    }
  }
}

AclRuleSet::~AclRuleSet() {
  rte_acl_free(ctx4_);
  rte_acl_free(ctx6_);
}

void AclRuleSet::classify(uint8_t family, const uint8_t** keys, uint32_t* results,
                          uint32_t n) const noexcept {
  const rte_acl_ctx* ctx = family == 4 ? ctx4_ : ctx6_;
  if (ctx == nullptr || rte_acl_classify(ctx, keys, results, n, 1) != 0)
    std::memset(results, 0, n * sizeof *results);
}

}  // namespace sluice::nf
