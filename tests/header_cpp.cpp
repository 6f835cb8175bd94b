// The public header compiles alone as C++ (extern "C" linkage).
#include <nnact.h>

int main()
{
    nnact_act act{};
    act.kind = NNACT_ACT_SIGMOID;
    return nnact_act_name(act.kind) ? 0 : 1;
}
