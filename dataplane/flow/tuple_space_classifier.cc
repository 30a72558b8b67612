#include "dataplane/flow/tuple_space_classifier.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <string_view>

#include "common/error.h"

namespace sluice {
namespace {

constexpr uint32_t kInitialCapacity = 256;

void insert_sorted(std::vector<FlowRule*>& v, FlowRule* r) {
  auto it = std::find_if(v.begin(), v.end(), [r](const FlowRule* o) { return r->beats(*o); });
  v.insert(it, r);
}

}  // namespace

size_t TupleSpaceClassifier::MaskHash::operator()(const FlowKey& k) const {
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
}

void Subtable::set_mask(const FlowKey& m) {
  mask = m;
  uint64_t words[kFlowKeyWords];
  memcpy(words, &m, sizeof words);
  n_words = 0;
  for (unsigned i = 0; i < kFlowKeyWords; ++i) {
    if (words[i] == 0) continue;
    word[n_words] = static_cast<uint8_t>(i);
    word_mask[n_words++] = words[i];
  }
  key_words = static_cast<uint8_t>(std::max(2, (n_words + 1) / 2 * 2));
}

TupleSpaceClassifier::~TupleSpaceClassifier() {
  for (auto& [mask, s] : subtables_) {
    const void* key;
    void* data;
    uint32_t iter = 0;
    while (rte_hash_iterate(s->hash, &key, &data, &iter) >= 0)
      if (is_bucket(data)) delete as_bucket(data);
    free_subtable(s);
  }
}

Subtable* TupleSpaceClassifier::create_subtable(const FlowKey& mask, uint32_t capacity) {
  static std::atomic<uint32_t> serial{0};
  char name[RTE_HASH_NAMESIZE];
  snprintf(name, sizeof name, "flow_t%u_%u", table_, serial.fetch_add(1));
  rte_hash_parameters params{};
  params.name = name;
  params.entries = capacity;
  auto* s = new Subtable;
  s->set_mask(mask);
  params.key_len = s->key_words * 8u;
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0;
  params.socket_id = SOCKET_ID_ANY;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* h = rte_hash_create(&params);
  if (h == nullptr) {
    delete s;
    throw Error(std::string("flow table: cannot create a subtable hash of ") +
                    std::to_string(capacity) + " entries: " + rte_strerror(rte_errno),
                ENOMEM);
  }
  s->hash = h;
  s->capacity = capacity;
  return s;
}

void TupleSpaceClassifier::free_subtable(Subtable* s) {
  rte_hash_free(s->hash);
  delete s;
}

Subtable* TupleSpaceClassifier::grow(Subtable* old, uint32_t capacity, Garbage& garbage, Rcu& rcu) {
  // Pending frees of hash slots refer to the old hash: run them first.
  rcu.drain();
  Subtable* s = create_subtable(old->mask, std::max(capacity, old->capacity * 4));
  const void* key;
  void* data;
  uint32_t iter = 0;
  while (rte_hash_iterate(old->hash, &key, &data, &iter) >= 0) {
    if (rte_hash_add_key_data(s->hash, key, data) != 0) {
      free_subtable(s);
      throw Error("flow table: cannot grow a subtable hash", ENOMEM);
    }
  }
  s->n_rules = old->n_rules;
  s->priorities = old->priorities;
  subtables_[old->mask] = s;
  garbage.push_back([old] { free_subtable(old); });
  return s;
}

void TupleSpaceClassifier::insert(FlowRule* r, Garbage& garbage, Rcu& rcu) {
  auto it = subtables_.find(r->mask);
  Subtable* s;
  if (it == subtables_.end()) {
    s = create_subtable(r->mask, kInitialCapacity);
    subtables_.emplace(r->mask, s);
  } else {
    s = it->second;
  }
  SubtableKey key;
  s->pack(r->value, key);  // the layout is the mask's: the same after grow()
  // Hashed once for the lookup and the add; grow() keeps the hash function.
  const hash_sig_t sig = rte_hash_hash(s->hash, &key);
  void* data = nullptr;
  void* next = r;  // alone: the rule itself
  FlowBucket* old = nullptr;
  if (rte_hash_lookup_with_hash_data(s->hash, &key, sig, &data) >= 0) {
    auto* b = new FlowBucket;
    if (is_bucket(data)) {
      old = as_bucket(data);
      b->rules = old->rules;
    } else {
      b->rules.push_back(static_cast<FlowRule*>(data));
    }
    insert_sorted(b->rules, r);
    next = tag_bucket(b);
  }
  auto drop_new = [&] {
    if (is_bucket(next)) delete as_bucket(next);
  };
  int rc = rte_hash_add_key_with_hash_data(s->hash, &key, sig, next);
  if (rc == -ENOSPC) {
    try {
      s = grow(s, 0, garbage, rcu);
    } catch (...) {
      drop_new();
      throw;
    }
    rc = rte_hash_add_key_with_hash_data(s->hash, &key, sig, next);
  }
  if (rc != 0) {
    drop_new();
    throw Error("flow table: cannot insert into a subtable hash: " + std::string(strerror(-rc)),
                -rc);
  }
  if (old != nullptr) garbage.push_back([old] { delete old; });
  ++s->n_rules;
  ++s->priorities[r->priority];
}

void TupleSpaceClassifier::reserve(const FlowKey& mask, uint32_t more, Garbage& garbage, Rcu& rcu) {
  auto it = subtables_.find(mask);
  uint32_t have = it == subtables_.end() ? 0 : it->second->n_rules;
  // A quarter of slack: deleted keys hold their slots for a grace period.
  uint32_t want = std::bit_ceil(have + more + (have + more) / 4);
  if (it == subtables_.end()) {
    subtables_.emplace(mask, create_subtable(mask, std::max(want, kInitialCapacity)));
  } else if (it->second->capacity < want) {
    grow(it->second, want, garbage, rcu);
  }
}

void TupleSpaceClassifier::remove(FlowRule* r, Garbage& after_grace) {
  auto it = subtables_.find(r->mask);
  if (it == subtables_.end()) return;
  Subtable* s = it->second;
  SubtableKey key;
  s->pack(r->value, key);
  const hash_sig_t sig = rte_hash_hash(s->hash, &key);
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(s->hash, &key, sig, &data) < 0) return;
  if (!is_bucket(data)) {
    if (data != r) return;
    int32_t slot = rte_hash_del_key_with_hash(s->hash, &key, sig);
    rte_hash* h = s->hash;
    if (slot >= 0) after_grace.push_back([h, slot] { rte_hash_free_key_with_position(h, slot); });
  } else {
    FlowBucket* old = as_bucket(data);
    auto pos = std::find(old->rules.begin(), old->rules.end(), r);
    if (pos == old->rules.end()) return;
    void* next;
    if (old->rules.size() == 2) {
      next = old->rules[pos == old->rules.begin() ? 1 : 0];
    } else {
      auto* b = new FlowBucket;
      b->rules.reserve(old->rules.size() - 1);
      for (FlowRule* o : old->rules)
        if (o != r) b->rules.push_back(o);
      next = tag_bucket(b);
    }
    rte_hash_add_key_with_hash_data(s->hash, &key, sig, next);  // existing key: cannot fail
    after_grace.push_back([old] { delete old; });
  }
  --s->n_rules;
  auto p = s->priorities.find(r->priority);
  if (--p->second == 0) s->priorities.erase(p);
}

std::vector<SubtableRef> TupleSpaceClassifier::snapshot() const {
  std::vector<SubtableRef> out;
  out.reserve(subtables_.size());
  for (const auto& [mask, s] : subtables_)
    if (s->n_rules > 0) out.push_back({s, s->priorities.rbegin()->first});
  std::sort(out.begin(), out.end(), [](const SubtableRef& a, const SubtableRef& b) {
    return a.max_priority > b.max_priority;
  });
  return out;
}

void TupleSpaceClassifier::take_empty(Garbage& garbage) {
  for (auto it = subtables_.begin(); it != subtables_.end();) {
    if (it->second->n_rules == 0) {
      Subtable* s = it->second;
      garbage.push_back([s] { free_subtable(s); });
      it = subtables_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace sluice
