#include "common/rules/action.h"

namespace sluice {

const char* action_name(ActionType t) {
  switch (t) {
    case ActionType::output:
      return "output";
    case ActionType::flood:
      return "flood";
    case ActionType::normal:
      return "normal";
    case ActionType::drop:
      return "drop";
    case ActionType::controller:
      return "controller";
    case ActionType::set_field:
      return "set_field";
    case ActionType::push_vlan:
      return "push_vlan";
    case ActionType::pop_vlan:
      return "pop_vlan";
    case ActionType::dec_ttl:
      return "dec_ttl";
    case ActionType::group:
      return "group";
    case ActionType::meter:
      return "meter";
    case ActionType::goto_table:
      return "goto_table";
    case ActionType::write_metadata:
      return "write_metadata";
    case ActionType::set_reg:
      return "set_reg";
    case ActionType::nf:
      return "nf";
  }
  return "?";
}

}  // namespace sluice
