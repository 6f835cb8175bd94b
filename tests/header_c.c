/* The public header compiles alone as strict C99 (and links). */
#include <nnact.h>

int main(void)
{
    nnact_act act = {NNACT_ACT_RELU, 0.0f, 0.0f};
    return nnact_act_name(act.kind) ? 0 : 1;
}
