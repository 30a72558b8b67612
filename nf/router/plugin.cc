// The router as a loadable plugin: the same sources as the built-in class,
// linked into sluice_nf_router.so with hidden visibility, exporting only the
// descriptor (nf/sdk/plugin_abi.h).
#include "nf/router/router.h"
#include "nf/sdk/plugin_abi.h"

SLUICE_NF_PLUGIN(sluice::nf::Router);
