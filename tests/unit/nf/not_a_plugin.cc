// Test shared object without an NF descriptor.
extern "C" __attribute__((visibility("default"))) int not_a_plugin_answer() {
  return 42;
}
