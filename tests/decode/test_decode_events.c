#include "dtest.h"
int main(void) { return 0; }
